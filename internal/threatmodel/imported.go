package threatmodel

import (
	"fmt"
	"strings"
)

// What the format importers (threagile, otm, threatdragon, pytm) share: each
// is a small converter type with one method per section of its format, and
// these are the parts that are the same for all of them.

// NewImportedModel returns an empty model titled title, with the model id
// made from the title (TitleID).
func NewImportedModel(title string) *Model {
	return &Model{Rampart: Version, ID: TitleID(title), Title: title}
}

// TitleID is the id of a model known only by its title: the title in lower
// case, sanitised.
func TitleID(title string) string { return SanitizeID(strings.ToLower(title)) }

// Warnings collects what an importer could not carry over. Each warning
// names the place in the source it is about (the element, flow or section
// and its id), since the source is not a Rampart file the user can open.
type Warnings []string

// Addf adds a warning.
func (w *Warnings) Addf(format string, args ...any) { *w = append(*w, fmt.Sprintf(format, args...)) }

// FinishImport validates the model an importer converted from the file
// named name. It returns m and warns, or no model, warns and an error naming
// the file when the result is not a valid model.
func FinishImport(m *Model, warns Warnings, name string) (*Model, []string, error) {
	if err := Validate(m); err != nil {
		return nil, warns, fmt.Errorf("%s: imported model is invalid: %w", name, err)
	}
	return m, warns, nil
}
