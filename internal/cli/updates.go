package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/updates"
)

// updatesOptions are the parsed flags of the `rampart updates` commands.
// The seven subcommands share them (each registers the flags it uses);
// Command names the subcommand.
type updatesOptions struct {
	Command      string
	Store        storeFlags
	Product      string
	Keys         string
	Threshold    int
	Name         string
	File         string
	Hardware     string
	Version      string
	ProductName  string
	RotateOnline bool
}

func newUpdatesCmd(s *streams, runF func(context.Context, *updatesOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "updates",
		Short: "Signed firmware updates: each product's TUF repository",
		Long: `Manage each product's TUF (The Update Framework) repository of signed firmware.

The root role is signed by offline keys that live only in --keys DIR (keep it
off the server, e.g. on an encrypted USB stick). Targets, snapshot and
timestamp are signed by online keys Rampart holds, encrypted with the key file
updates-signing.key in --data; 'rampart serve' re-signs them before they
expire. Devices fetch the repository from /tuf/<product>/ (no token).`,
		Example: `  rampart updates init --product acme-gateway --keys /media/usb/acme-root --threshold 2
  rampart updates publish --product acme-gateway --file ig400-3.2.1.img --name ig400-3.2.1.img --hardware IG-400 --version 3.2.1
  rampart updates root --product acme-gateway > root.json`,
	}
	sub := func(use, short, example string, flags func(*cobra.Command, *updatesOptions)) {
		o := &updatesOptions{Command: use}
		c := &cobra.Command{
			Use: use, Short: short, Example: example, Args: cobra.NoArgs,
			RunE: runE(s, o, runF, runUpdates),
		}
		o.Store.register(c)
		if use != "resign" {
			c.Flags().StringVar(&o.Product, "product", "", "product slug, e.g. acme-gateway (its repository is served at /tuf/SLUG/)")
		}
		if flags != nil {
			flags(c, o)
		}
		cmd.AddCommand(c)
	}
	sub("init", "Create a product's repository and its offline root keys",
		"  rampart updates init --product acme-gateway --keys ./acme-root-keys --threshold 2",
		func(c *cobra.Command, o *updatesOptions) {
			c.Flags().StringVar(&o.Keys, "keys", "", "directory that receives the offline root keys (created; keep it offline)")
			c.Flags().IntVar(&o.Threshold, "threshold", 1, "root signatures required; as many root keys are generated")
			c.Flags().StringVar(&o.ProductName, "product-name", "", "name of the product to attach the repository to (default: the slug; created when missing)")
		})
	sub("rotate-root", "Sign a new root version with new offline keys",
		"  rampart updates rotate-root --product acme-gateway --keys ./acme-root-keys\n  rampart updates rotate-root --product acme-gateway --keys ./acme-root-keys --rotate-online-keys",
		func(c *cobra.Command, o *updatesOptions) {
			c.Flags().StringVar(&o.Keys, "keys", "", "directory holding the current root keys; receives the new ones (old ones move to retired/)")
			c.Flags().IntVar(&o.Threshold, "threshold", 0, "threshold of the new root (default: keep the current one)")
			c.Flags().BoolVar(&o.RotateOnline, "rotate-online-keys", false, "also replace the online targets/snapshot/timestamp keys (after a server compromise)")
		})
	sub("root", "Print the newest root.json (to provision devices)",
		"  rampart updates root --product acme-gateway > root.json", nil)
	sub("publish", "Publish a firmware image as a signed target",
		"  rampart updates publish --product acme-gateway --file ig400.img --name ig400-3.2.1.img --hardware IG-400 --version 3.2.1",
		func(c *cobra.Command, o *updatesOptions) {
			c.Flags().StringVar(&o.File, "file", "", "firmware image to publish")
			c.Flags().StringVar(&o.Name, "name", "", "target name devices ask for (letters, digits, . _ + -)")
			c.Flags().StringVar(&o.Hardware, "hardware", "", "hardware model the image is for (custom metadata)")
			c.Flags().StringVar(&o.Version, "version", "", "firmware version (custom metadata; links the product's release of that version)")
		})
	sub("targets", "List a repository's published images",
		"  rampart updates targets --product acme-gateway", nil)
	sub("status", "Show each role's newest version and expiry",
		"  rampart updates status --product acme-gateway", nil)
	sub("resign", "Re-sign targets, snapshot and timestamp that expire soon (serve does this itself)",
		"  rampart updates resign --data /var/lib/rampart", nil)
	return cmd
}

func (o *updatesOptions) validate() error {
	if o.Product == "" && o.Command != "resign" {
		return errors.New("--product SLUG is required")
	}
	switch o.Command {
	case "init", "rotate-root":
		if o.Keys == "" {
			return errors.New("--keys DIR is required: the offline root keys are " + map[string]string{"init": "written", "rotate-root": "read and written"}[o.Command] + " there")
		}
	case "publish":
		if o.File == "" || o.Name == "" {
			return errors.New("--file IMAGE and --name NAME are required")
		}
	}
	return nil
}

func runUpdates(ctx context.Context, s *streams, o *updatesOptions) error {
	return o.Store.with(ctx, func(st *store.Store) error { return runUpdatesIn(ctx, s, st, o) })
}

// runUpdatesIn runs the `rampart updates` subcommand o.Command on the open
// store st.
func runUpdatesIn(ctx context.Context, s *streams, st *store.Store, o *updatesOptions) error {
	seal, err := updates.FileSealer(o.Store.data)
	if err != nil {
		return err
	}
	svc := updates.New(st, seal, nil)
	ctx = audit.WithSource(ctx, "cli") // the service records each change with its source
	switch o.Command {
	case "init":
		res, err := svc.Init(ctx, updates.InitRequest{Slug: o.Product, ProductName: o.ProductName, Threshold: o.Threshold,
			SaveKeys: func(k []updates.Key) error { return updates.WriteRootKeys(o.Keys, k) }})
		if err != nil {
			return inputErr(err)
		}
		fmt.Fprintf(s.out, "Created the update repository of %s (served at /tuf/%s/).\n%d offline root key(s), threshold %d, written to %s: keep them offline.\nProvision devices with: rampart updates root --product %s\n",
			o.Product, o.Product, len(res.RootKeys), max(o.Threshold, 1), o.Keys, o.Product)
	case "rotate-root":
		old, err := updates.ReadRootKeys(o.Keys)
		if err != nil {
			return err
		}
		res, err := svc.RotateRoot(ctx, updates.RotateRequest{Slug: o.Product, OldKeys: old, Threshold: o.Threshold, RotateOnline: o.RotateOnline,
			SaveKeys: func(k []updates.Key) error { return updates.WriteRootKeys(o.Keys, k) }})
		if err != nil {
			return inputErr(err)
		}
		if err := updates.RetireRootKeys(o.Keys, res.Retired); err != nil {
			return err
		}
		fmt.Fprintf(s.out, "Signed root version %d of %s with %d old and %d new key(s); the new keys are in %s, the old ones in %s/retired (destroy them once every device has checked in).\n",
			res.Version, o.Product, len(res.Retired), len(res.NewKeys), o.Keys, o.Keys)
		if o.RotateOnline {
			fmt.Fprintln(s.out, "The online targets, snapshot and timestamp keys were replaced and their metadata re-signed.")
		}
	case "root":
		root, err := svc.Root(ctx, o.Product)
		if err != nil {
			return err
		}
		_, err = s.out.Write(root)
		return err
	case "publish":
		content, err := os.ReadFile(o.File)
		if err != nil {
			return fmt.Errorf("--file: %w", err)
		}
		req := updates.PublishRequest{Slug: o.Product, Name: o.Name, Content: content, Hardware: o.Hardware, Version: o.Version}
		// The service records update.publish with the change (actor
		// "system", the default outside a request; source "cli").
		t, err := svc.Publish(ctx, req)
		if err != nil {
			return inputErr(err)
		}
		fmt.Fprintf(s.out, "Published %s (%d bytes, sha256 %s) to %s.\n", t.Name, t.Length, t.SHA256, o.Product)
		if req.ReleaseID != 0 {
			fmt.Fprintf(s.out, "Linked to release %s.\n", o.Version)
		}
	case "targets":
		ts, err := svc.Targets(ctx, o.Product)
		if err != nil {
			return err
		}
		tw := newTable(s.out, "NAME\tHARDWARE\tVERSION\tLENGTH\tSHA256\tPUBLISHED", len(ts), "no targets published; publish one with 'rampart updates publish'")
		for _, t := range ts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", t.Name, t.Hardware, t.Version, t.Length, t.SHA256[:16], t.CreatedAt.Format(time.RFC3339))
		}
		return tw.Flush()
	case "status":
		stt, err := svc.Status(ctx, o.Product)
		if err != nil {
			return err
		}
		tw := newTable(s.out, "ROLE\tVERSION\tEXPIRES", len(stt.Roles), "no roles")
		for _, m := range stt.Roles {
			fmt.Fprintf(tw, "%s\t%d\t%s\n", m.Role, m.Version, m.Expires.Format(time.RFC3339))
		}
		return tw.Flush()
	case "resign":
		done, expiring, err := svc.Resign(ctx)
		for _, slug := range done {
			fmt.Fprintf(s.out, "re-signed %s\n", slug)
		}
		for _, slug := range expiring {
			fmt.Fprintf(s.err, "warning: the root of %s expires within 30 days: run 'rampart updates rotate-root --product %s'\n", slug, slug)
		}
		return err
	}
	return nil
}

// inputErr gives invalid-input and conflict errors exit code 2 (usage or
// input error); they are already named after their flag.
func inputErr(err error) error {
	if errors.Is(err, fault.ErrInvalid) || errors.Is(err, fault.ErrConflict) || errors.Is(err, fault.ErrNotFound) {
		return &exitError{code: ExitError, err: err}
	}
	return err
}
