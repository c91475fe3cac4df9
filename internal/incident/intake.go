package incident

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rampart-security/rampart/internal/fault"
)

// Intake limits: a public form must not become free storage or a way to
// flood the PSIRT.
const (
	MaxIntakeTitle       = 200
	MaxIntakeDescription = 20000
	MaxIntakeContact     = 300
	MaxIntakeAttachment  = 1 << 20
	// IntakePerSource is how many reports one source address may file per
	// IntakeWindow; IntakeTotal bounds all sources together.
	IntakePerSource = 5
	IntakeTotal     = 200
	IntakeWindow    = time.Hour
)

// Intake statuses.
const (
	IntakeReceived = "received"
	IntakeTriaged  = "triaged"
	IntakeRejected = "rejected"
)

// IntakeReport is a vulnerability report from outside (a researcher).
type IntakeReport struct {
	ID          int64     `json:"id"`
	TrackingID  string    `json:"tracking_id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	ProductID   int64     `json:"product_id,omitempty"`
	Contact     string    `json:"contact,omitempty"`
	Exploited   bool      `json:"exploited"`
	Status      string    `json:"status"`
	IncidentID  int64     `json:"incident_id,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// AttachmentName is set when an attachment is stored (encrypted).
	AttachmentName string `json:"attachment_name,omitempty"`
	Source         string `json:"-"`
	TokenHash      string `json:"-"`
	// Attachment is the sealed (AES-256-GCM) attachment as stored.
	Attachment []byte `json:"-"`
}

// IntakeStore persists intake reports; internal/store implements it.
type IntakeStore interface {
	// CreateIntake stores r, assigning ID.
	CreateIntake(ctx context.Context, r *IntakeReport) error
	// IntakeByTracking finds a report (fault.ErrNotFound).
	IntakeByTracking(ctx context.Context, tracking string) (*IntakeReport, error)
	// IntakeByID finds a report (fault.ErrNotFound).
	IntakeByID(ctx context.Context, id int64) (*IntakeReport, error)
	// IntakeReports lists reports, newest first; products nil means all,
	// otherwise reports of those products (reports naming no product are
	// listed only with nil).
	IntakeReports(ctx context.Context, products []int64, limit int) ([]IntakeReport, error)
	// SetIntakeStatus records triage.
	SetIntakeStatus(ctx context.Context, id int64, status string, incidentID int64, at time.Time) error
	// IntakeCount counts reports since a time, from one source ("" = all).
	IntakeCount(ctx context.Context, source string, since time.Time) (int, error)
	// ProductIDByName resolves a product name (fault.ErrNotFound).
	ProductIDByName(ctx context.Context, name string) (int64, error)
}

// Intake receives and triages vulnerability reports.
type Intake struct {
	svc *Service
	st  IntakeStore
	key []byte
}

// NewIntake returns the intake service. key (32 bytes) encrypts
// attachments at rest; without one, attachments are refused.
func NewIntake(svc *Service, st IntakeStore, key []byte) *Intake {
	return &Intake{svc: svc, st: st, key: key}
}

// IntakeInput is what a reporter sends.
type IntakeInput struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	// Product is a product name or id as the reporter knows it.
	Product   string `json:"product"`
	Contact   string `json:"contact"`
	Exploited bool   `json:"exploited"`
	// Source is the reporter's address (for rate limiting; not shown).
	Source         string `json:"-"`
	AttachmentName string `json:"-"`
	Attachment     []byte `json:"-"`
}

// IntakeReceipt is what the reporter gets back: the tracking id and the
// private status link (which carries a secret token; only its hash is kept).
type IntakeReceipt struct {
	TrackingID string `json:"tracking_id"`
	StatusURL  string `json:"status_url"`
	Status     string `json:"status"`
}

// cleanText trims, refuses invalid UTF-8 and drops control characters other
// than newlines and tabs. HTML is kept as text: every page escapes it.
func cleanText(field, s string, max int, required bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", fault.Invalid(field, "is not valid UTF-8 text")
	}
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return -1
	}, strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")))
	if required && s == "" {
		return "", fault.Invalid(field, "is required")
	}
	if len(s) > max {
		return "", fault.Invalid(field, "is %d bytes; at most %d are accepted (attach details or send them after the first contact)", len(s), max)
	}
	return s, nil
}

// Submit files a report. The product is resolved silently: an unknown name
// is kept in the description and never confirmed or denied to the reporter.
// An exploited report about a known product opens an incident at once,
// aware now (the CRA clock starts when the manufacturer learns of it).
func (in *Intake) Submit(ctx context.Context, x IntakeInput) (*IntakeReceipt, error) {
	var err error
	r := &IntakeReport{Exploited: x.Exploited, Source: x.Source, Status: IntakeReceived}
	if r.Title, err = cleanText("title", x.Title, MaxIntakeTitle, true); err != nil {
		return nil, err
	}
	if r.Description, err = cleanText("description", x.Description, MaxIntakeDescription, true); err != nil {
		return nil, err
	}
	if r.Contact, err = cleanText("contact", x.Contact, MaxIntakeContact, false); err != nil {
		return nil, err
	}
	product, err := cleanText("product", x.Product, 200, false)
	if err != nil {
		return nil, err
	}
	if len(x.Attachment) > 0 {
		if len(in.key) != 32 {
			return nil, fault.Invalid("attachment", "this server does not accept attachments; paste the details into the description")
		}
		if len(x.Attachment) > MaxIntakeAttachment {
			return nil, fault.Invalid("attachment", "is %d bytes; at most %d are accepted", len(x.Attachment), MaxIntakeAttachment)
		}
		name, err := cleanText("attachment", x.AttachmentName, 200, false)
		if err != nil {
			return nil, err
		}
		if name == "" {
			name = "attachment"
		}
		if r.Attachment, err = Seal(in.key, x.Attachment); err != nil {
			return nil, err
		}
		r.AttachmentName = name
	}
	now := in.svc.now().UTC()
	since := now.Add(-IntakeWindow)
	if n, err := in.st.IntakeCount(ctx, x.Source, since); err != nil {
		return nil, err
	} else if n >= IntakePerSource {
		return nil, fault.TooMany("%d reports from your address in the last hour: try again later, or write to the security contact", n)
	}
	if n, err := in.st.IntakeCount(ctx, "", since); err != nil {
		return nil, err
	} else if n >= IntakeTotal {
		return nil, fault.TooMany("the report form is busy: try again in an hour, or write to the security contact")
	}
	if product != "" {
		id, err := in.st.ProductIDByName(ctx, product)
		switch {
		case err == nil:
			r.ProductID = id
		case errors.Is(err, fault.ErrNotFound):
			r.Description = "Product named by the reporter: " + product + "\n\n" + r.Description
		default:
			return nil, err
		}
	}
	tracking, token := newTracking()
	r.TrackingID, r.TokenHash = tracking, hashToken(token)
	r.CreatedAt, r.UpdatedAt = now, now
	if err := in.st.CreateIntake(ctx, r); err != nil {
		return nil, err
	}
	if r.Exploited && r.ProductID != 0 {
		if _, err := in.triage(ctx, r, KindVulnerability, "intake"); err != nil {
			return nil, err
		}
		r.Status = IntakeTriaged
	} else if err := in.svc.alertIntake(ctx, r); err != nil {
		return nil, err
	}
	return &IntakeReceipt{TrackingID: tracking, StatusURL: "/report/status/" + tracking + "?token=" + token, Status: r.Status}, nil
}

// Status returns a report's public status for the holder of its token.
func (in *Intake) Status(ctx context.Context, tracking, token string) (*IntakeReport, error) {
	r, err := in.st.IntakeByTracking(ctx, tracking)
	if err != nil || subtle.ConstantTimeCompare([]byte(r.TokenHash), []byte(hashToken(token))) != 1 {
		return nil, fault.NotFound("no report %s with this status link", tracking)
	}
	return r, nil
}

// Triage turns a report into an incident (kind vulnerability or incident)
// or rejects it (kind "rejected").
func (in *Intake) Triage(ctx context.Context, id int64, kind string) (*IntakeReport, error) {
	r, err := in.st.IntakeByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Status != IntakeReceived {
		return nil, fault.Conflict("report %s is already %s", r.TrackingID, r.Status)
	}
	switch Kind(kind) {
	case KindVulnerability, KindIncident:
		if r.ProductID == 0 {
			return nil, fault.Invalid("product", "report %s names no known product: open the incident by hand with the affected products", r.TrackingID)
		}
		return in.triage(ctx, r, Kind(kind), "intake")
	case "rejected":
		if err := in.st.SetIntakeStatus(ctx, r.ID, IntakeRejected, 0, in.svc.now().UTC()); err != nil {
			return nil, err
		}
		return in.st.IntakeByID(ctx, id)
	}
	return nil, fault.Invalid("kind", "%q: give vulnerability, incident or rejected", kind)
}

func (in *Intake) triage(ctx context.Context, r *IntakeReport, kind Kind, signal string) (*IntakeReport, error) {
	title := r.Title
	if len(title) > 250 {
		title = title[:250]
	}
	exp := ""
	if r.Exploited {
		exp = "the reporter states it is actively exploited"
	}
	opened, err := in.svc.open(ctx, OpenInput{Kind: kind, Title: "Reported: " + title, Severity: "high", Products: []int64{r.ProductID},
		Details: &Details{Nature: r.Description, Exploitation: exp}}, signal, "",
		[]Signal{{Source: "intake", Subject: r.TrackingID, ProductID: r.ProductID, Detail: "report " + r.TrackingID}}, false)
	if err != nil {
		return nil, err
	}
	if err := in.st.SetIntakeStatus(ctx, r.ID, IntakeTriaged, opened.ID, in.svc.now().UTC()); err != nil {
		return nil, err
	}
	return in.st.IntakeByID(ctx, r.ID)
}

// List lists reports for the PSIRT.
func (in *Intake) List(ctx context.Context, products []int64) ([]IntakeReport, error) {
	return in.st.IntakeReports(ctx, products, 200)
}

// Attachment decrypts a report's attachment.
func (in *Intake) Attachment(ctx context.Context, id int64) (string, []byte, error) {
	r, err := in.st.IntakeByID(ctx, id)
	if err != nil {
		return "", nil, err
	}
	if len(r.Attachment) == 0 {
		return "", nil, fault.NotFound("report %s has no attachment", r.TrackingID)
	}
	data, err := Open(in.key, r.Attachment)
	return r.AttachmentName, data, err
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func newTracking() (tracking, token string) {
	var a [8]byte
	var b [32]byte
	_, _ = rand.Read(a[:])
	_, _ = rand.Read(b[:])
	return "RPT-" + b32.EncodeToString(a[:])[:12], hex.EncodeToString(b[:])
}

func hashToken(t string) string {
	s := sha256.Sum256([]byte("rampart-intake-v1\n" + t))
	return hex.EncodeToString(s[:])
}

// attachmentAEAD is the AES-GCM cipher of the attachment key.
func attachmentAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("attachment key: %w", err)
	}
	return cipher.NewGCM(block)
}

// Seal encrypts data with AES-256-GCM (nonce prepended).
func Seal(key, data []byte) ([]byte, error) {
	gcm, err := attachmentAEAD(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	_, _ = rand.Read(nonce)
	return gcm.Seal(nonce, nonce, data, []byte("rampart-intake-attachment")), nil
}

// Open decrypts what Seal produced.
func Open(key, sealed []byte) ([]byte, error) {
	gcm, err := attachmentAEAD(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("attachment: sealed data too short")
	}
	out, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], []byte("rampart-intake-attachment"))
	if err != nil {
		return nil, fmt.Errorf("attachment: cannot decrypt (wrong RAMPART_INTAKE_KEY?): %w", err)
	}
	return out, nil
}
