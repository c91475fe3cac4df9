package portfolio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/threatmodel"
	"github.com/rampart-security/rampart/internal/threatmodel/imports"
)

// ThreatModelSaver is the storage SaveThreatModel needs: the next version
// of a product's model and its audit record, in one transaction.
type ThreatModelSaver interface {
	audit.AtomicLog
	SaveThreatModel(ctx context.Context, productID int64, source, note, actor string) (threatmodel.ThreatModelVersion, bool, error)
}

// ThreatReader is the storage ProductThreats needs: a stored model version
// and the tracking of its threats.
type ThreatReader interface {
	ThreatModel(ctx context.Context, productID int64, version int) (threatmodel.ThreatModelVersion, error)
	ThreatTrackings(ctx context.Context, productID int64) (map[string]threatmodel.ThreatTracking, error)
}

// ThreatTracker is the storage TrackThreat needs: a threat's tracking and
// its audit record, in one transaction.
type ThreatTracker interface {
	audit.AtomicLog
	TrackThreat(ctx context.Context, productID int64, t threatmodel.ThreatTracking) error
}

// ThreatView is a product's checked threat model: the model, its threats
// with the platform's tracking applied, and the version.
type ThreatView struct {
	Version  threatmodel.ThreatModelVersion        `json:"version"`
	Model    *threatmodel.Model                    `json:"-"`
	Result   *threatmodel.Result                   `json:"result"`
	Tracking map[string]threatmodel.ThreatTracking `json:"tracking"`
}

// SavedThreatModel is the result of saving a threat model.
type SavedThreatModel struct {
	Version threatmodel.ThreatModelVersion
	// Created is false when the model is identical to the latest version.
	Created bool
	// ImportWarnings say what an imported format could not carry over as
	// it is (a Threat Dragon flow attached to one element: its threats
	// kept, the flow not); empty for Rampart's own format.
	ImportWarnings []string
}

// SaveThreatModel stores a product's threat model as a new version. The
// input may be Rampart YAML/JSON or any importable format (Threagile, OWASP
// Threat Dragon, Open Threat Model): it is converted, validated, and stored
// as canonical Rampart YAML. An identical model does not make a new version.
func SaveThreatModel(ctx context.Context, st ThreatModelSaver, productID int64, data []byte, name, note, actor string) (SavedThreatModel, error) {
	var out SavedThreatModel
	format, err := imports.Detect(data)
	if err != nil {
		return out, fault.Unprocessable(fmt.Errorf("%s: %w", name, err))
	}
	var m *threatmodel.Model
	if format == imports.Rampart {
		m, err = threatmodel.Parse(data, name)
	} else {
		var im *imports.Imported
		im, err = imports.Import(data, name, format, imports.Options{ReadInclude: func(string) ([]byte, error) {
			return nil, errors.New("includes are not supported on upload; import with the CLI and upload the result")
		}})
		if im != nil {
			m = im.Model
			out.ImportWarnings = im.Warnings
		}
	}
	if err != nil {
		return SavedThreatModel{}, fault.Unprocessable(err)
	}
	if err := threatmodel.Validate(m); err != nil {
		return SavedThreatModel{}, fault.Unprocessable(err)
	}
	// A Rampart model written in YAML is stored as it was written (comments,
	// order, the layout section): the browser editor and the element API
	// edit that text in place, so hand-written YAML and browser edits
	// converge. JSON and the imported formats are stored as canonical YAML.
	src := data
	if format != imports.Rampart || !isYAMLText(data) {
		if src, err = threatmodel.Marshal(m); err != nil {
			return SavedThreatModel{}, err
		}
	} else if !bytes.HasSuffix(src, []byte("\n")) {
		src = append(slices.Clip(src), '\n')
	}
	// The new version and its audit record commit together.
	err = st.Atomic(ctx, func(ctx context.Context) error {
		var err error
		out.Version, out.Created, err = st.SaveThreatModel(ctx, productID, string(src), note, actor)
		if err != nil || !out.Created {
			return err
		}
		return audit.Record(ctx, st, audit.Event{Action: "threatmodel.save", Object: fmt.Sprintf("threat model v%d (%s)", out.Version.Version, name), ProductID: productID, Detail: note})
	})
	if err != nil {
		return SavedThreatModel{}, err
	}
	return out, nil
}

// isYAMLText reports whether a model is YAML text rather than JSON, with
// no byte-order mark or NUL that would not survive as stored text.
func isYAMLText(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n")
	return len(t) > 0 && t[0] != '{' && t[0] != '[' && utf8.Valid(data) && !bytes.ContainsRune(data, 0) && !bytes.HasPrefix(data, []byte("\xef\xbb\xbf"))
}

// ProductThreats loads a version (0: latest) of a product's model, checks
// it with the rule library and applies the platform's tracking: a tracked
// status overrides the model's decision.
func ProductThreats(ctx context.Context, st ThreatReader, lib *threatmodel.Library, productID int64, version int) (*ThreatView, error) {
	v, err := st.ThreatModel(ctx, productID, version)
	if err != nil {
		return nil, err
	}
	m, res, err := lib.CheckSource([]byte(v.Source), fmt.Sprintf("product-%d-v%d.yaml", productID, v.Version))
	if err != nil {
		return nil, fmt.Errorf("stored threat model: %w", err)
	}
	tr, err := st.ThreatTrackings(ctx, productID)
	if err != nil {
		return nil, err
	}
	for i := range res.Threats {
		t := &res.Threats[i]
		if x, ok := tr[t.ID]; ok {
			if x.Status != "" {
				t.Status = x.Status
				if x.Note != "" {
					t.Reason = x.Note
				}
			}
			if x.Owner != "" {
				t.Owner = x.Owner
			}
		}
	}
	return &ThreatView{Version: v, Model: m, Result: res, Tracking: tr}, nil
}

// ThreatStatuses are the statuses a tracked threat can have.
var ThreatStatuses = threatmodel.TrackingStatuses

// TrackThreat validates and stores the tracking of one threat, updated at now.
func TrackThreat(ctx context.Context, st ThreatTracker, productID int64, t threatmodel.ThreatTracking, now time.Time) error {
	if err := t.Validate(); err != nil {
		return err
	}
	t.UpdatedAt = now.UTC()
	action := "threat.track"
	if t.Status == threatmodel.StatusAccepted {
		action = "threat.risk_accepted"
	}
	return st.Atomic(ctx, func(ctx context.Context) error {
		if err := st.TrackThreat(ctx, productID, t); err != nil {
			return err
		}
		return audit.Record(ctx, st, audit.Event{Action: action, Object: "threat " + t.ThreatID, ProductID: productID,
			Detail: strings.TrimSpace(fmt.Sprintf("status %s %s", t.Status, t.Note))})
	})
}
