// Command rampart-device is an example device update agent built on
// pkg/updateclient, for testing a Rampart update repository end to end: it
// checks in, verifies the offered update with TUF, downloads it into
// --install-dir and reports the result at its next check-in.
//
//	rampart updates root --product acme-gateway > root.json
//	rampart-device --server http://localhost:8080 --product acme-gateway --root root.json \
//	    --state ./device-state --hardware IG-400 --version 3.1.0 --country DE --once
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/rampart-security/rampart/pkg/updateclient"
)

func main() {
	var (
		server   = flag.String("server", "http://localhost:8080", "Rampart base URL")
		product  = flag.String("product", "", "product slug (repository at /tuf/SLUG/)")
		rootFile = flag.String("root", "root.json", "root.json the device is provisioned with")
		state    = flag.String("state", "device-state", "directory for the device key, trusted metadata and installed version")
		hardware = flag.String("hardware", "", "hardware model")
		version  = flag.String("version", "", "installed firmware version (first run; later read from --state)")
		country  = flag.String("country", "", "ISO 3166-1 alpha-2 country of the device")
		group    = flag.String("group", "", "device group (e.g. beta)")
		install  = flag.String("install-dir", "", "where a verified image is written (default: --state/installed)")
		once     = flag.Bool("once", false, "check once and exit (exit 1 on error)")
	)
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if *product == "" {
		fmt.Fprintln(os.Stderr, "rampart-device: --product is required")
		os.Exit(2)
	}
	root, err := os.ReadFile(*rootFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rampart-device: --root:", err)
		os.Exit(2)
	}
	c, err := updateclient.New(updateclient.Config{Server: *server, Product: *product, Root: root, StateDir: *state,
		Hardware: *hardware, Country: *country, Group: *group})
	if err != nil {
		fmt.Fprintln(os.Stderr, "rampart-device:", err)
		os.Exit(2)
	}
	if *install == "" {
		*install = filepath.Join(*state, "installed")
	}
	a := &agent{c: c, log: log, state: *state, installDir: *install, installed: *version}
	if b, err := os.ReadFile(filepath.Join(*state, "installed-version")); err == nil {
		a.installed = strings.TrimSpace(string(b))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	log.Info("device", "id", c.DeviceID(), "installed", a.installed)
	for {
		wait, err := a.step(ctx)
		if err != nil {
			log.Error("update check failed", "err", err)
			if *once {
				os.Exit(1)
			}
		}
		if *once {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

type agent struct {
	c                 *updateclient.Client
	log               *slog.Logger
	state, installDir string
	installed         string
	last              updateclient.Report
}

// step checks in once and installs an offered update.
func (a *agent) step(ctx context.Context) (time.Duration, error) {
	rep := a.last
	rep.Installed = a.installed
	u, offer, err := a.c.Poll(ctx, rep)
	wait := time.Duration(max(offer.PollSeconds, 60)) * time.Second
	if err != nil {
		if offer.Target != "" {
			// A verification failure is reported, so the rollout can halt.
			a.last = updateclient.Report{Target: offer.Target, Result: updateclient.ResultFailed, Message: err.Error()}
		}
		return wait, err
	}
	a.last = updateclient.Report{}
	if u == nil {
		a.log.Info("up to date", "installed", a.installed)
		return wait, nil
	}
	data, err := a.c.Download(u)
	if err == nil {
		err = os.MkdirAll(a.installDir, 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(a.installDir, u.Name), data, 0o644)
	}
	if err != nil {
		a.last = updateclient.Report{Target: u.Name, Result: updateclient.ResultFailed, Message: err.Error()}
		return wait, errors.Join(errors.New("install "+u.Name), err)
	}
	a.installed = u.Version
	if err := os.WriteFile(filepath.Join(a.state, "installed-version"), []byte(u.Version+"\n"), 0o600); err != nil {
		return wait, err
	}
	a.log.Info("installed", "target", u.Name, "version", u.Version, "bytes", len(data))
	// Report at once.
	_, err = a.c.CheckIn(ctx, updateclient.Report{Installed: a.installed, Target: u.Name, Result: updateclient.ResultInstalled})
	return wait, err
}
