package incident

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/fault"
)

// ProductSettings are a product's reporting settings.
type ProductSettings struct {
	// Manufacturer is the legal name reported to the CSIRT.
	Manufacturer string `json:"manufacturer"`
	// Contact is the manufacturer's security contact.
	Contact string `json:"contact"`
	// MemberStates where the product is made available (ISO 3166-1 alpha-2,
	// e.g. DE, FR); Art. 14(2)(a) and 14(4)(a) ask for them where applicable.
	MemberStates []string `json:"member_states"`
	// AlertEmails receive the team's mail about this product's incidents
	// (opened, a release added, a report due); never part of a report.
	AlertEmails []string `json:"alert_emails,omitempty"`
}

// ProductInfo is what a report says about one affected product.
type ProductInfo struct {
	ID       int64    `json:"id"`
	Name     string   `json:"name"`
	Versions []string `json:"versions"`
	ProductSettings
}

// ReportStore is what report packages need beyond the Store.
type ReportStore interface {
	// IncidentProducts describes the incident's products with the versions
	// of its releases.
	IncidentProducts(ctx context.Context, inc *Incident) ([]ProductInfo, error)
}

// Package is one Art. 14 report as sent to the single reporting platform:
// the fields Art. 14 names for that report, and what is still missing.
type Package struct {
	Incident      int64         `json:"incident"`
	Report        ReportKind    `json:"report"`
	IncidentKind  Kind          `json:"incident_kind"`
	Legal         string        `json:"legal_basis"`
	Title         string        `json:"title"`
	Drill         bool          `json:"drill,omitempty"`
	GeneratedAt   time.Time     `json:"generated_at"`
	Due           *time.Time    `json:"due"`
	Status        ReportStatus  `json:"status"`
	Submission    *Submission   `json:"submission,omitempty"`
	Manufacturer  string        `json:"manufacturer"`
	Contact       string        `json:"contact,omitempty"`
	Products      []ProductInfo `json:"products"`
	MemberStates  []string      `json:"member_states"`
	AwareAt       time.Time     `json:"aware_at"`
	AwareSignal   string        `json:"aware_signal"`
	Vulnerability string        `json:"vulnerability,omitempty"`
	Severity      string        `json:"severity"`
	// Nature of the vulnerability (the exploit) or the incident.
	Nature string `json:"nature,omitempty"`
	// Exploitation: known exploitation, malicious actors, or whether an
	// incident is suspected of being caused by unlawful or malicious acts.
	Exploitation       string     `json:"exploitation,omitempty"`
	CorrectiveMeasures string     `json:"corrective_measures,omitempty"`
	CorrectiveAt       *time.Time `json:"corrective_measure_available_at,omitempty"`
	UsersInformed      bool       `json:"users_informed"`
	Sensitivity        string     `json:"sensitivity,omitempty"`
	CrossBorder        string     `json:"cross_border,omitempty"`
	RootCause          string     `json:"root_cause,omitempty"`
	FixingUpdate       string     `json:"fixing_update,omitempty"`
	Missing            []string   `json:"missing"`
}

// legal names the provision of each report.
func legal(k Kind, r ReportKind) string {
	n := map[ReportKind]string{EarlyWarning: "a", Notification: "b", FinalReport: "c"}[r]
	if k == KindVulnerability {
		return fmt.Sprintf("Regulation (EU) 2024/2847 (Cyber Resilience Act) Art. 14(2)(%s)", n)
	}
	return fmt.Sprintf("Regulation (EU) 2024/2847 (Cyber Resilience Act) Art. 14(4)(%s)", n)
}

// BuildReport assembles one report of an incident. Each report carries the
// fields its provision asks for; Missing lists those still empty.
func BuildReport(inc *Incident, kind ReportKind, products []ProductInfo, loc *time.Location, now time.Time) *Package {
	p := &Package{Incident: inc.ID, Report: kind, IncidentKind: inc.Kind, Legal: legal(inc.Kind, kind), Title: inc.Title, Drill: inc.Drill,
		GeneratedAt: now.UTC(), AwareAt: inc.AwareAt, AwareSignal: inc.AwareSignal, Vulnerability: inc.Vulnerability, Severity: inc.Severity,
		Products: products, MemberStates: []string{}, Missing: []string{}}
	for _, r := range Clocks(inc, loc, now) {
		if r.Kind == kind {
			p.Due, p.Status, p.Submission = r.Due, r.Status, r.Submission
		}
	}
	seen := map[string]bool{}
	var mf []string
	for _, pr := range products {
		for _, ms := range pr.MemberStates {
			if !seen[ms] {
				seen[ms] = true
				p.MemberStates = append(p.MemberStates, ms)
			}
		}
		if pr.Manufacturer != "" && !seen["m:"+pr.Manufacturer] {
			seen["m:"+pr.Manufacturer] = true
			mf = append(mf, pr.Manufacturer)
		}
		if p.Contact == "" {
			p.Contact = pr.Contact
		}
	}
	p.Manufacturer = strings.Join(mf, "; ")
	d := inc.Details
	need := func(field, v string) {
		if strings.TrimSpace(v) == "" {
			p.Missing = append(p.Missing, field)
		}
	}
	need("manufacturer", p.Manufacturer)
	if len(p.MemberStates) == 0 {
		p.Missing = append(p.Missing, "member_states")
	}
	// Early warning: the event, exploitation or malicious cause, Member States.
	p.Exploitation = d.Exploitation
	need("exploitation", d.Exploitation)
	if kind == EarlyWarning {
		return p
	}
	// Notification: general nature, measures taken and measures users can
	// take, sensitivity.
	p.Nature, p.CorrectiveMeasures, p.Sensitivity, p.UsersInformed, p.CrossBorder = d.Nature, d.CorrectiveMeasures, d.Sensitivity, d.UsersInformed, d.CrossBorder
	need("nature", d.Nature)
	need("corrective_measures", d.CorrectiveMeasures)
	need("sensitivity", d.Sensitivity)
	if kind == Notification {
		return p
	}
	// Final report: description with severity and impact, root cause or
	// malicious actor, the update or measures that remedy it.
	p.RootCause, p.FixingUpdate, p.CorrectiveAt = d.RootCause, d.FixingUpdate, inc.CorrectiveMeasureAt
	need("root_cause", d.RootCause)
	need("fixing_update", d.FixingUpdate)
	if inc.Kind == KindVulnerability && inc.CorrectiveMeasureAt == nil {
		p.Missing = append(p.Missing, "corrective_measure_at")
	}
	return p
}

// Report builds one report of an incident with the store's product data.
func (s *Service) Report(ctx context.Context, rs ReportStore, id int64, kind string) (*Package, error) {
	k, err := ParseReportKind(kind)
	if err != nil {
		return nil, fault.Invalid("kind", "%v", err)
	}
	inc, err := s.st.Incident(ctx, id)
	if err != nil {
		return nil, err
	}
	products, err := rs.IncidentProducts(ctx, inc)
	if err != nil {
		return nil, err
	}
	return BuildReport(inc, k, products, s.loc, s.now()), nil
}

var reportNames = map[ReportKind]string{EarlyWarning: "Early warning", Notification: "Notification", FinalReport: "Final report"}

// mdText makes free text safe inside Markdown: no raw HTML, no headings or
// links injected from reporter-controlled text.
func mdText(s string) string {
	if strings.TrimSpace(s) == "" {
		return "_not yet known_"
	}
	return strings.ReplaceAll(mdEscaper.Replace(s), "\n", "\n> ")
}

var mdEscaper = strings.NewReplacer("\\", "\\\\", "<", "&lt;", ">", "&gt;", "[", "\\[", "]", "\\]", "`", "\\`", "*", "\\*", "_", "\\_", "#", "\\#", "\r", "")

func fmtT(t *time.Time) string {
	if t == nil {
		return "not yet known"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// WriteMarkdown renders a report package for a person to paste or review.
func WriteMarkdown(w io.Writer, p *Package) error {
	var b strings.Builder
	drill := ""
	if p.Drill {
		drill = " (DRILL — do not submit)"
	}
	fmt.Fprintf(&b, "# %s%s: incident %d\n\n", reportNames[p.Report], drill, p.Incident)
	fmt.Fprintf(&b, "%s\n\n", p.Legal)
	fmt.Fprintf(&b, "| | |\n|---|---|\n")
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, strings.ReplaceAll(v, "|", "\\|")) }
	row("Title", mdText(p.Title))
	row("Kind", string(p.IncidentKind))
	row("Due", fmtT(p.Due))
	row("Status", string(p.Status))
	if p.Submission != nil {
		row("Submitted", fmtT(&p.Submission.SubmittedAt)+", reference "+mdText(p.Submission.Reference))
	}
	row("Aware since", fmtT(&p.AwareAt)+" (signal: "+mdText(p.AwareSignal)+")")
	row("Manufacturer", mdText(p.Manufacturer))
	if p.Contact != "" {
		row("Contact", mdText(p.Contact))
	}
	row("Member States", mdText(strings.Join(p.MemberStates, ", ")))
	if p.Vulnerability != "" {
		row("Vulnerability", mdText(p.Vulnerability))
	}
	row("Severity", p.Severity)
	b.WriteString("\n## Products\n\n")
	for _, pr := range p.Products {
		fmt.Fprintf(&b, "- %s: versions %s\n", mdText(pr.Name), mdText(strings.Join(pr.Versions, ", ")))
	}
	section := func(h, v string) { fmt.Fprintf(&b, "\n## %s\n\n> %s\n", h, mdText(v)) }
	exp := "Exploitation"
	if p.IncidentKind == KindIncident {
		exp = "Suspected unlawful or malicious acts"
	}
	section(exp, p.Exploitation)
	if p.Report != EarlyWarning {
		section("Nature", p.Nature)
		section("Corrective or mitigating measures (taken and available to users)", p.CorrectiveMeasures)
		fmt.Fprintf(&b, "\n## Users informed\n\n%s\n", map[bool]string{true: "Yes", false: "Not yet"}[p.UsersInformed])
		section("Sensitivity of the information", p.Sensitivity)
		if p.CrossBorder != "" {
			section("Cross-border impact", p.CrossBorder)
		}
	}
	if p.Report == FinalReport {
		section("Root cause", p.RootCause)
		section("Security update or corrective measure", p.FixingUpdate)
		fmt.Fprintf(&b, "\nCorrective measure available since: %s\n", fmtT(p.CorrectiveAt))
	}
	if len(p.Missing) > 0 {
		fmt.Fprintf(&b, "\n## Still missing\n\n%s\n", strings.Join(p.Missing, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// memberStates are the EU Member States' ISO 3166-1 alpha-2 codes (Greece
// as EL, the EU's own usage, or GR).
var memberStates = map[string]bool{"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true, "DK": true, "EE": true, "FI": true, "FR": true,
	"DE": true, "EL": true, "GR": true, "HU": true, "IE": true, "IT": true, "LV": true, "LT": true, "LU": true, "MT": true, "NL": true, "PL": true, "PT": true,
	"RO": true, "SK": true, "SI": true, "ES": true, "SE": true}

// ValidateSettings normalises and checks product reporting settings.
func ValidateSettings(ps *ProductSettings) error {
	ps.Manufacturer, ps.Contact = strings.TrimSpace(ps.Manufacturer), strings.TrimSpace(ps.Contact)
	if len(ps.Manufacturer) > 300 || len(ps.Contact) > 300 {
		return fault.Invalid("manufacturer", "manufacturer and contact are at most 300 characters")
	}
	seen := map[string]bool{}
	out := []string{}
	for _, m := range ps.MemberStates {
		m = strings.ToUpper(strings.TrimSpace(m))
		if !memberStates[m] {
			return fault.Invalid("member_states", "%q is not an EU Member State code (ISO 3166-1 alpha-2, e.g. DE, FR, EL)", m)
		}
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	ps.MemberStates = out
	alerts, err := validateAlertEmails(ps.AlertEmails)
	if err != nil {
		return err
	}
	ps.AlertEmails = alerts
	return nil
}
