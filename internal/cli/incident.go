package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/jobs"
	"github.com/rampart-security/rampart/internal/store"
)

// incidentFlags are the flags every incident command takes.
type incidentFlags struct {
	Store    storeFlags
	TimeZone string

	loc *time.Location // TimeZone loaded by validation
}

func (f *incidentFlags) register(c *cobra.Command) {
	f.Store.register(c)
	c.Flags().StringVar(&f.TimeZone, "timezone", "UTC", "the manufacturer's legal time zone, in which 14 days and one month are counted (e.g. Europe/Berlin)")
}

func (f *incidentFlags) loadLocation() (err error) {
	f.loc, err = loadTimeZone(f.TimeZone)
	return err
}

// with opens the store and runs fn with the incident service over it.
func (f *incidentFlags) with(ctx context.Context, fn func(*store.Store, *incident.Service) error) error {
	return f.Store.withExisting(ctx, func(st *store.Store) error {
		return fn(st, incident.New(st, time.Now, incident.Options{Location: f.loc}))
	})
}

func newIncidentCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "incident",
		Short: "Incidents and their EU Cyber Resilience Act report clocks",
		Long: `Incidents (actively exploited vulnerabilities and severe incidents) with the
CRA Art. 14 clocks: early warning 24 hours and notification 72 hours after
becoming aware, final report 14 days after a corrective measure is available
(vulnerabilities) or one month after the notification (incidents).`,
		Example: `  rampart incident list --data ./rampart-data
  rampart incident show 7
  rampart incident report 7 early_warning --format markdown`,
	}
	cmd.AddCommand(newIncidentListCmd(s, nil), newIncidentShowCmd(s, nil), newIncidentReportCmd(s, nil))
	return cmd
}

// incidentListOptions are the parsed options of `rampart incident list`.
type incidentListOptions struct {
	incidentFlags
	Product  int64
	Phase    string
	Drill    bool
	JSON     bool
	FailLate bool
}

func newIncidentListCmd(s *streams, runF func(context.Context, *incidentListOptions) error) *cobra.Command {
	opts := &incidentListOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List incidents with the status of each report",
		Long: `List incidents, newest awareness first, with each report's due time and status
(due, submitted_on_time, late). With --fail-on-late the exit status is 1 when a
real (not drill) incident has a late report: run it from cron to be warned.`,
		Example: `  rampart incident list --phase detection
  rampart incident list --product 3 --json
  rampart incident list --fail-on-late`,
		Args: cobra.NoArgs,
		RunE: runE(s, opts, runF, runIncidentList),
	}
	opts.register(cmd)
	cmd.Flags().Int64Var(&opts.Product, "product", 0, "only incidents affecting this product id")
	cmd.Flags().StringVar(&opts.Phase, "phase", "", "only incidents in this phase")
	cmd.Flags().BoolVar(&opts.Drill, "drill", false, "list drills instead of real incidents")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&opts.FailLate, "fail-on-late", false, "exit 1 when a report of a real incident is late")
	return cmd
}

func (o *incidentListOptions) validate() error {
	if o.Phase != "" && !validPhase(o.Phase) {
		return fmt.Errorf("--phase %q: must be one of detection, containment, eradication, recovery, closed", o.Phase)
	}
	return o.loadLocation()
}

func runIncidentList(ctx context.Context, s *streams, opts *incidentListOptions) error {
	return opts.with(ctx, func(_ *store.Store, svc *incident.Service) error {
		drill := opts.Drill
		list, err := svc.List(ctx, incident.Filter{Product: opts.Product, Phase: incident.Phase(opts.Phase), Drill: &drill, Limit: 500})
		if err != nil {
			return err
		}
		if opts.JSON {
			if err := writeJSON(s.out, list); err != nil {
				return err
			}
		} else {
			printIncidents(s.out, list)
		}
		if !opts.FailLate {
			return nil
		}
		var late []string
		for _, inc := range list {
			for _, r := range inc.Reports {
				if !inc.Drill && r.Status == incident.StatusLate && r.Submission == nil {
					late = append(late, fmt.Sprintf("incident %d %s", inc.ID, r.Kind))
				}
			}
		}
		if len(late) > 0 {
			return failuref("late reports not yet submitted: %s", strings.Join(late, ", "))
		}
		return nil
	})
}

// incidentShowOptions are the parsed options of `rampart incident show`.
type incidentShowOptions struct {
	incidentFlags
	ID   int64
	JSON bool

	idArg string // the ID argument as given
}

func newIncidentShowCmd(s *streams, runF func(context.Context, *incidentShowOptions) error) *cobra.Command {
	opts := &incidentShowOptions{}
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show an incident: clocks, tasks and timeline",
		Example: `  rampart incident show 7
  rampart incident show 7 --json`,
		Args: exactArgs(&opts.idArg),
		RunE: runE(s, opts, runF, runIncidentShow),
	}
	opts.register(cmd)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func (o *incidentShowOptions) validate() error {
	id, err := parseID(o.idArg)
	if err != nil {
		return err
	}
	o.ID = id
	return o.loadLocation()
}

func runIncidentShow(ctx context.Context, s *streams, opts *incidentShowOptions) error {
	return opts.with(ctx, func(_ *store.Store, svc *incident.Service) error {
		inc, err := svc.Get(ctx, opts.ID)
		if err != nil {
			return err
		}
		if opts.JSON {
			return writeJSON(s.out, inc)
		}
		printIncident(s.out, inc, opts.loc)
		return nil
	})
}

// incidentReportOptions are the parsed options of `rampart incident report`.
type incidentReportOptions struct {
	incidentFlags
	ID     int64
	Kind   string
	Format string

	idArg string // the ID argument as given
}

func newIncidentReportCmd(s *streams, runF func(context.Context, *incidentReportOptions) error) *cobra.Command {
	opts := &incidentReportOptions{}
	cmd := &cobra.Command{
		Use:   "report ID early_warning|notification|final_report",
		Short: "Print an Art. 14 report package (ENISA single reporting platform fields)",
		Example: `  rampart incident report 7 early_warning --format markdown
  rampart incident report 7 final_report --format json > final.json`,
		Args: exactArgs(&opts.idArg, &opts.Kind),
		RunE: runE(s, opts, runF, runIncidentReport),
	}
	opts.register(cmd)
	cmd.Flags().StringVar(&opts.Format, "format", "markdown", "json or markdown")
	return cmd
}

func (o *incidentReportOptions) validate() error {
	id, err := parseID(o.idArg)
	if err != nil {
		return err
	}
	if _, err := incident.ParseReportKind(o.Kind); err != nil {
		return err
	}
	if err := checkOneOf("format", o.Format, "json", "markdown"); err != nil {
		return err
	}
	o.ID = id
	return o.loadLocation()
}

func runIncidentReport(ctx context.Context, s *streams, opts *incidentReportOptions) error {
	return opts.with(ctx, func(st *store.Store, svc *incident.Service) error {
		pkg, err := svc.Report(ctx, st, opts.ID, opts.Kind)
		if err != nil {
			return err
		}
		if opts.Format == "json" {
			return writeJSON(s.out, pkg)
		}
		return incident.WriteMarkdown(s.out, pkg)
	})
}

func validPhase(p string) bool {
	for _, x := range incident.Phases {
		if string(x) == p {
			return true
		}
	}
	return false
}

func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("incident id %q: give the number shown by 'rampart incident list'", s)
	}
	return id, nil
}

var _ incident.ReportStore = (*store.Store)(nil)

func dueText(r incident.Report, loc *time.Location) string {
	if r.Due == nil {
		return "when a corrective measure is recorded"
	}
	return r.Due.In(loc).Format("2006-01-02 15:04 MST")
}

func printIncidents(w io.Writer, list []incident.Incident) {
	tw := newTable(w, "ID\tKIND\tPHASE\tSEVERITY\tAWARE (UTC)\tEARLY WARNING\tNOTIFICATION\tFINAL REPORT\tTITLE", len(list), "no incidents")
	for _, inc := range list {
		cells := make([]string, 0, 3)
		for _, r := range inc.Reports {
			c := string(r.Status)
			if r.Due != nil && r.Submission == nil {
				c += " " + r.Due.UTC().Format("01-02 15:04")
			}
			cells = append(cells, c)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", inc.ID, inc.Kind, inc.Phase, inc.Severity, inc.AwareAt.UTC().Format("2006-01-02 15:04"),
			cells[0], cells[1], cells[2], inc.Title)
	}
	tw.Flush()
}

func printIncident(w io.Writer, inc *incident.Incident, loc *time.Location) {
	fmt.Fprintf(w, "Incident %d: %s\n", inc.ID, inc.Title)
	drill := ""
	if inc.Drill {
		drill = " (drill " + inc.Scenario + ")"
	}
	fmt.Fprintf(w, "kind %s%s, severity %s, phase %s, owner %s\n", inc.Kind, drill, inc.Severity, inc.Phase, orDash(inc.Owner))
	if inc.Vulnerability != "" {
		fmt.Fprintf(w, "vulnerability %s\n", inc.Vulnerability)
	}
	fmt.Fprintf(w, "aware since %s (signal: %s)\n", inc.AwareAt.In(loc).Format("2006-01-02 15:04 MST"), inc.AwareSignal)
	fmt.Fprintf(w, "products %v, releases %v\n\nReports:\n", inc.Products, inc.Releases)
	for _, r := range inc.Reports {
		sub := ""
		if r.Submission != nil {
			sub = fmt.Sprintf(", submitted %s ref %s", r.Submission.SubmittedAt.In(loc).Format("2006-01-02 15:04 MST"), orDash(r.Submission.Reference))
		}
		fmt.Fprintf(w, "  %-13s due %s: %s%s\n", r.Kind, dueText(r, loc), r.Status, sub)
	}
	if len(inc.Tasks) > 0 {
		fmt.Fprintln(w, "\nTasks:")
		for _, t := range inc.Tasks {
			fmt.Fprintf(w, "  #%d %s (owner %s)\n", t.ID, t.Title, orDash(t.Owner))
		}
	}
	fmt.Fprintln(w, "\nTimeline:")
	for _, e := range inc.Timeline {
		fmt.Fprintf(w, "  %s %s %s: %s\n", e.At.In(loc).Format("2006-01-02 15:04:05 MST"), e.Actor, e.Action, e.Detail)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// loadIntakeKey returns the key that encrypts intake attachments at rest:
// $RAMPART_INTAKE_KEY (64 hex digits), or with SQLite a key file created
// in the data directory on first start. With PostgreSQL and no variable,
// attachments are refused (every server must share the key).
func loadIntakeKey(sf storeFlags, log *slog.Logger) ([]byte, error) {
	if v := os.Getenv("RAMPART_INTAKE_KEY"); v != "" {
		k, ok := parseIntakeKey(v)
		if !ok {
			return nil, errors.New("RAMPART_INTAKE_KEY: want 64 hex digits (32 bytes), e.g. from 'openssl rand -hex 32'")
		}
		return k, nil
	}
	if sf.database != "" {
		log.Warn("vulnerability-report attachments are refused: set RAMPART_INTAKE_KEY (the same on every server) to accept them encrypted")
		return nil, nil
	}
	path := filepath.Join(sf.data, "intake.key")
	if b, err := os.ReadFile(path); err == nil {
		k, ok := parseIntakeKey(string(b))
		if !ok {
			return nil, fmt.Errorf("%s: want 64 hex digits; restore it from backup or remove it (stored attachments become unreadable)", path)
		}
		return k, nil
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(sf.data, 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return k, nil
}

// parseIntakeKey reads an intake key written as 64 hex digits (spaces
// around them allowed).
func parseIntakeKey(s string) ([]byte, bool) {
	k, err := hex.DecodeString(strings.TrimSpace(s))
	return k, err == nil && len(k) == 32
}

// startIncidentJobs runs the incident background work every 30 seconds:
// report-deadline reminders (events, which webhooks receive) and delivery
// of customer notices by SMTP and webhook.
func startIncidentJobs(ctx context.Context, st *store.Store, smtpURL, from string, secret []byte, loc *time.Location, log *slog.Logger) error {
	snd := &incident.NetSender{Secret: secret}
	if smtpURL != "" {
		addr, err := incident.ParseSMTPURL(smtpURL)
		if err != nil {
			return err
		}
		if from == "" {
			host, _, _ := net.SplitHostPort(addr)
			from = "security@" + host
		}
		snd.SMTP = &incident.SMTPConfig{Addr: addr, From: from, Username: os.Getenv("RAMPART_SMTP_USERNAME"), Password: os.Getenv("RAMPART_SMTP_PASSWORD")}
	}
	svc := incident.New(st, time.Now, incident.Options{Notify: st, Location: loc})
	go jobs.Every(ctx, 30*time.Second, func() {
		if n, err := svc.Remind(ctx); err != nil && ctx.Err() == nil {
			log.Error("incident reminders", "err", err)
		} else if n > 0 {
			log.Info("incident reminders", "raised", n)
		}
		if sent, failed, err := svc.Deliver(ctx, st, snd); err != nil && ctx.Err() == nil {
			log.Error("customer notices", "err", err)
		} else if sent+failed > 0 {
			log.Info("customer notices", "sent", sent, "failed", failed)
		}
	})
	return nil
}
