package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/incident"
	"github.com/rampart-security/rampart/internal/store"
)

// incidentOptions are the parsed options of the incident commands.
type incidentOptions struct {
	Store    storeFlags
	Product  int64
	Phase    string
	Drill    bool
	JSON     bool
	FailLate bool
	ID       int64
	Kind     string
	Format   string
	TimeZone string
}

func newIncidentCmd(s *streams, run func(context.Context, string, *incidentOptions) error) *cobra.Command {
	if run == nil {
		run = func(ctx context.Context, verb string, o *incidentOptions) error { return runIncident(ctx, s, verb, o) }
	}
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
	add := func(c *cobra.Command, o *incidentOptions) {
		o.Store.register(c)
		c.Flags().StringVar(&o.TimeZone, "timezone", "UTC", "the manufacturer's legal time zone, in which 14 days and one month are counted (e.g. Europe/Berlin)")
	}
	lo := &incidentOptions{}
	list := &cobra.Command{
		Use:   "list",
		Short: "List incidents with the status of each report",
		Long: `List incidents, newest awareness first, with each report's due time and status
(due, submitted_on_time, late). With --fail-on-late the exit status is 1 when a
real (not drill) incident has a late report: run it from cron to be warned.`,
		Example: `  rampart incident list --phase detection
  rampart incident list --product 3 --json
  rampart incident list --fail-on-late`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lo.Phase != "" && !validPhase(lo.Phase) {
				return fmt.Errorf("--phase %q: must be one of detection, containment, eradication, recovery, closed", lo.Phase)
			}
			return run(cmd.Context(), "list", lo)
		},
	}
	add(list, lo)
	list.Flags().Int64Var(&lo.Product, "product", 0, "only incidents affecting this product id")
	list.Flags().StringVar(&lo.Phase, "phase", "", "only incidents in this phase")
	list.Flags().BoolVar(&lo.Drill, "drill", false, "list drills instead of real incidents")
	list.Flags().BoolVar(&lo.JSON, "json", false, "print JSON")
	list.Flags().BoolVar(&lo.FailLate, "fail-on-late", false, "exit 1 when a report of a real incident is late")

	so := &incidentOptions{}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show an incident: clocks, tasks and timeline",
		Example: `  rampart incident show 7
  rampart incident show 7 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			so.ID = id
			return run(cmd.Context(), "show", so)
		},
	}
	add(show, so)
	show.Flags().BoolVar(&so.JSON, "json", false, "print JSON")

	ro := &incidentOptions{}
	report := &cobra.Command{
		Use:   "report ID early_warning|notification|final_report",
		Short: "Print an Art. 14 report package (ENISA single reporting platform fields)",
		Example: `  rampart incident report 7 early_warning --format markdown
  rampart incident report 7 final_report --format json > final.json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0])
			if err != nil {
				return err
			}
			if _, err := incident.ParseReportKind(args[1]); err != nil {
				return err
			}
			if ro.Format != "json" && ro.Format != "markdown" {
				return fmt.Errorf("--format %q: must be json or markdown", ro.Format)
			}
			ro.ID, ro.Kind = id, args[1]
			return run(cmd.Context(), "report", ro)
		},
	}
	add(report, ro)
	report.Flags().StringVar(&ro.Format, "format", "markdown", "json or markdown")
	cmd.AddCommand(list, show, report)
	return cmd
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

func runIncident(ctx context.Context, s *streams, verb string, o *incidentOptions) error {
	loc, err := time.LoadLocation(o.TimeZone)
	if err != nil {
		return fmt.Errorf("--timezone %q: %w", o.TimeZone, err)
	}
	st, err := o.Store.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := incident.New(st, time.Now, incident.Options{Location: loc})
	switch verb {
	case "list":
		drill := o.Drill
		list, err := svc.List(ctx, incident.Filter{Product: o.Product, Phase: incident.Phase(o.Phase), Drill: &drill, Limit: 500})
		if err != nil {
			return err
		}
		if o.JSON {
			if err := writeJSON(s.out, list); err != nil {
				return err
			}
		} else {
			printIncidents(s.out, list)
		}
		if o.FailLate {
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
		}
		return nil
	case "show":
		inc, err := svc.Get(ctx, o.ID)
		if err != nil {
			return err
		}
		if o.JSON {
			return writeJSON(s.out, inc)
		}
		printIncident(s.out, inc, loc)
		return nil
	case "report":
		pkg, err := svc.Report(ctx, st, o.ID, o.Kind)
		if err != nil {
			return err
		}
		if o.Format == "json" {
			return writeJSON(s.out, pkg)
		}
		return incident.WriteMarkdown(s.out, pkg)
	}
	return fmt.Errorf("unknown incident command %q", verb)
}

var _ incident.ReportStore = (*store.Store)(nil)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func dueText(r incident.Report, loc *time.Location) string {
	if r.Due == nil {
		return "when a corrective measure is recorded"
	}
	return r.Due.In(loc).Format("2006-01-02 15:04 MST")
}

func printIncidents(w io.Writer, list []incident.Incident) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tPHASE\tSEVERITY\tAWARE (UTC)\tEARLY WARNING\tNOTIFICATION\tFINAL REPORT\tTITLE")
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
	if len(list) == 0 {
		fmt.Fprintln(w, "no incidents")
	}
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
		k, err := hex.DecodeString(strings.TrimSpace(v))
		if err != nil || len(k) != 32 {
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
		k, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) != 32 {
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
	go func() {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
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
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return nil
}
