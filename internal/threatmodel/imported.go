package threatmodel

import (
	"fmt"
	"strings"
)

// What the format importers (threagile, otm, threatdragon, pytm) share. Each
// is a small converter type, with one method per section of its format, that
// embeds a Conversion: the parts that are the same for all of them.

// Conversion is what every importer's converter holds besides its source
// document: the name of the file (for errors), the model being built, the
// warnings and the id allocator.
type Conversion struct {
	Name  string // the source file, named in errors
	Model *Model
	// Warnings say what could not be carried over. Each names the place in
	// the source it is about (the section, element or flow, and its id),
	// since the source is not a file Rampart's own errors point into.
	Warnings []string
	IDs      *IDAllocator // one per model: the same input gives the same ids
}

// NewConversion starts the conversion of the file named name.
func NewConversion(name string) Conversion {
	return Conversion{Name: name, IDs: NewIDAllocator()}
}

// Warnf adds a warning.
func (c *Conversion) Warnf(format string, args ...any) {
	c.Warnings = append(c.Warnings, fmt.Sprintf(format, args...))
}

// Finish validates the converted model. It returns the model and the
// warnings, or no model, the warnings and an error naming the file when the
// result is not a valid model.
func (c *Conversion) Finish() (*Model, []string, error) {
	if err := Validate(c.Model); err != nil {
		return nil, c.Warnings, fmt.Errorf("%s: imported model is invalid: %w", c.Name, err)
	}
	return c.Model, c.Warnings, nil
}

// NewImportedModel returns an empty model titled title, with the model id
// made from the title (TitleID).
func NewImportedModel(title string) *Model {
	return &Model{Rampart: Version, ID: TitleID(title), Title: title}
}

// TitleID is the id of a model known only by its title: the title in lower
// case, sanitised.
func TitleID(title string) string { return SanitizeID(strings.ToLower(title)) }
