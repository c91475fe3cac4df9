// Package updateclient is the device side of Rampart's signed updates: a
// small client, with no Rampart internals, that a device links to fetch
// firmware from a Rampart TUF repository.
//
// It is provisioned with the product's root.json and verifies everything
// with go-tuf's updater, so it refuses rollback of metadata, frozen
// (expired) metadata, mix-and-match metadata, target bytes that do not match
// the signed length and hash, endless downloads, and it walks root
// rotations. On top of TUF it refuses firmware downgrades (a signed but
// older version) and images for other hardware. It reports its hardware,
// installed version and the result of the last update to Rampart in a
// check-in signed with its own ed25519 device key; Rampart answers which
// update this device may install (staged rollouts).
package updateclient

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"
)

// The check-in protocol.
const (
	// CheckInPath is where a device posts its signed check-in.
	CheckInPath = "/api/v1/devices/checkin"
	// SignatureHeader carries base64(ed25519 signature over the raw body).
	SignatureHeader = "Rampart-Device-Signature"
)

// Results a device reports about the update it last attempted.
const (
	ResultNone      = ""
	ResultInstalled = "installed"
	ResultFailed    = "failed"
)

// CheckIn is the body of a device's check-in.
type CheckIn struct {
	Product   string    `json:"product"`
	DeviceID  string    `json:"device_id"`
	PublicKey []byte    `json:"public_key"`
	Hardware  string    `json:"hardware"`
	Version   string    `json:"version"`
	Group     string    `json:"group,omitempty"`
	Country   string    `json:"country,omitempty"`
	Target    string    `json:"target,omitempty"`
	Result    string    `json:"result,omitempty"`
	Message   string    `json:"message,omitempty"`
	Time      time.Time `json:"time"`
}

// Offer is Rampart's answer: the target this device may install now (none
// when Target is empty) and when to ask again.
type Offer struct {
	Target      string `json:"target,omitempty"`
	Version     string `json:"version,omitempty"`
	Rollout     int64  `json:"rollout,omitempty"`
	PollSeconds int    `json:"poll_seconds"`
}

// DeviceID derives a device's identifier from its public key, so that an
// identifier cannot be claimed without the key.
func DeviceID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:16])
}

// Errors the client returns besides go-tuf's.
var (
	ErrDowngrade     = errors.New("offered firmware is not newer than the installed one (rollback refused)")
	ErrWrongHardware = errors.New("offered firmware is for other hardware")
	ErrTooLarge      = errors.New("offered firmware is larger than the client accepts")
)

// Config configures a client.
type Config struct {
	// Server is Rampart's base URL, e.g. https://updates.example.com.
	Server string
	// Product is the repository slug (served at /tuf/<Product>/).
	Product string
	// Root is the root.json the device was provisioned with. Once the
	// client has walked to a newer root, the newer one in StateDir is used.
	Root []byte
	// StateDir keeps the device key and the trusted metadata.
	StateDir string
	// Hardware is the device's model; offers for other models are refused.
	Hardware string
	// Country (ISO 3166-1 alpha-2) and Group are reported at check-in.
	Country, Group string
	// HTTPClient (default: 30 s timeout).
	HTTPClient *http.Client
	// MaxImageSize refuses larger targets before downloading (default 2 GiB).
	MaxImageSize int64
	// Now is the reference clock for metadata expiry (default time.Now).
	Now func() time.Time
}

// Client fetches and verifies updates for one device.
type Client struct {
	cfg Config
	key ed25519.PrivateKey
	id  string
}

// New loads the device key from StateDir (creating it on first use).
func New(cfg Config) (*Client, error) {
	if cfg.Server == "" || cfg.Product == "" || cfg.StateDir == "" {
		return nil, errors.New("updateclient: Server, Product and StateDir are required")
	}
	cfg.Server = strings.TrimRight(cfg.Server, "/")
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.MaxImageSize <= 0 {
		cfg.MaxImageSize = 2 << 30
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, err
	}
	keyFile := filepath.Join(cfg.StateDir, "device.key")
	seed, err := os.ReadFile(keyFile)
	if errors.Is(err, os.ErrNotExist) {
		seed = make([]byte, ed25519.SeedSize)
		if _, err := io.ReadFull(rand.Reader, seed); err != nil {
			return nil, err
		}
		if err := os.WriteFile(keyFile, seed, 0o600); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("updateclient: %s is not a device key", keyFile)
	}
	key := ed25519.NewKeyFromSeed(seed)
	return &Client{cfg: cfg, key: key, id: DeviceID(key.Public().(ed25519.PublicKey))}, nil
}

// DeviceID is this device's identifier.
func (c *Client) DeviceID() string { return c.id }

// Report is what the device says about itself at check-in.
type Report struct {
	// Installed is the firmware version running now.
	Installed string
	// Target and Result describe the last update attempt, if any.
	Target, Result, Message string
}

// CheckIn sends a signed check-in and returns Rampart's offer.
func (c *Client) CheckIn(ctx context.Context, r Report) (Offer, error) {
	body, err := json.Marshal(CheckIn{Product: c.cfg.Product, DeviceID: c.id, PublicKey: c.key.Public().(ed25519.PublicKey),
		Hardware: c.cfg.Hardware, Version: r.Installed, Group: c.cfg.Group, Country: c.cfg.Country,
		Target: r.Target, Result: r.Result, Message: r.Message, Time: c.cfg.Now().UTC()})
	if err != nil {
		return Offer{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.Server+CheckInPath, bytes.NewReader(body))
	if err != nil {
		return Offer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, base64.StdEncoding.EncodeToString(ed25519.Sign(c.key, body)))
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return Offer{}, fmt.Errorf("check-in: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Offer{}, fmt.Errorf("check-in: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return Offer{}, fmt.Errorf("check-in: %s: %s", resp.Status, strings.TrimSpace(string(data)))
	}
	var o Offer
	if err := json.Unmarshal(data, &o); err != nil {
		return Offer{}, fmt.Errorf("check-in answer: %w", err)
	}
	return o, nil
}

// Update is a target verified against the TUF metadata, ready to download.
type Update struct {
	Name, Version, Hardware string
	Length                  int64
	Rollout                 int64
	info                    *metadata.TargetFiles
	up                      *updater.Updater
}

func (c *Client) updater() (*updater.Updater, error) {
	root := c.cfg.Root
	mdDir := filepath.Join(c.cfg.StateDir, "metadata")
	if b, err := os.ReadFile(filepath.Join(mdDir, "root.json")); err == nil {
		root = b // the newest root this device already trusts
	}
	if len(root) == 0 {
		return nil, errors.New("updateclient: no root.json provisioned")
	}
	base := c.cfg.Server + "/tuf/" + c.cfg.Product
	cfg, err := config.New(base+"/metadata", root)
	if err != nil {
		return nil, err
	}
	cfg.RemoteTargetsURL = base + "/targets"
	cfg.LocalMetadataDir = mdDir
	cfg.LocalTargetsDir = filepath.Join(c.cfg.StateDir, "targets")
	if err := cfg.EnsurePathsExist(); err != nil {
		return nil, err
	}
	if err := cfg.SetDefaultFetcherHTTPClient(c.cfg.HTTPClient); err != nil {
		return nil, err
	}
	if err := cfg.SetDefaultFetcherRetry(time.Second, 1); err != nil {
		return nil, err
	}
	up, err := updater.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("trusted root: %w", err)
	}
	up.UnsafeSetRefTime(c.cfg.Now().UTC())
	if err := up.Refresh(); err != nil {
		return nil, fmt.Errorf("refresh TUF metadata: %w", err)
	}
	return up, nil
}

// Verify refreshes the TUF metadata (walking root rotations and noticing
// a frozen repository even when nothing is offered) and checks that offer
// names a signed target for this hardware newer than installed. It returns
// nil, nil when the offer is empty or already installed.
func (c *Client) Verify(offer Offer, installed string) (*Update, error) {
	up, err := c.updater()
	if err != nil {
		return nil, err
	}
	if offer.Target == "" {
		return nil, nil
	}
	info, err := up.GetTargetInfo(offer.Target)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", offer.Target, err)
	}
	var custom struct {
		Hardware string `json:"hardware"`
		Version  string `json:"version"`
	}
	if info.Custom != nil {
		if err := json.Unmarshal(*info.Custom, &custom); err != nil {
			return nil, fmt.Errorf("target %s: custom metadata: %w", offer.Target, err)
		}
	}
	u := &Update{Name: offer.Target, Version: custom.Version, Hardware: custom.Hardware, Length: info.Length, Rollout: offer.Rollout, info: info, up: up}
	if c.cfg.Hardware != "" && custom.Hardware != "" && custom.Hardware != c.cfg.Hardware {
		return nil, fmt.Errorf("target %s is for %s, this device is %s: %w", offer.Target, custom.Hardware, c.cfg.Hardware, ErrWrongHardware)
	}
	if installed != "" && custom.Version != "" {
		switch cmp := CompareVersions(custom.Version, installed); {
		case cmp == 0:
			return nil, nil
		case cmp < 0:
			return nil, fmt.Errorf("target %s is version %s, installed is %s: %w", offer.Target, custom.Version, installed, ErrDowngrade)
		}
	}
	if info.Length > c.cfg.MaxImageSize {
		return nil, fmt.Errorf("target %s has %d bytes, limit %d: %w", offer.Target, info.Length, c.cfg.MaxImageSize, ErrTooLarge)
	}
	return u, nil
}

// Download fetches the update's bytes; go-tuf reads at most the signed
// length and checks the signed hash.
func (c *Client) Download(u *Update) ([]byte, error) {
	_, data, err := u.up.DownloadTarget(u.info, "", "")
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", u.Name, err)
	}
	return data, nil
}

// Poll checks in and verifies the offer: the one call a device's update
// loop makes. It returns nil when there is nothing to install.
func (c *Client) Poll(ctx context.Context, r Report) (*Update, Offer, error) {
	offer, err := c.CheckIn(ctx, r)
	if err != nil {
		return nil, offer, err
	}
	u, err := c.Verify(offer, r.Installed)
	return u, offer, err
}

// TrustedRootVersion is the version of the newest root this device trusts.
func (c *Client) TrustedRootVersion() (int64, error) {
	b, err := os.ReadFile(filepath.Join(c.cfg.StateDir, "metadata", "root.json"))
	if errors.Is(err, os.ErrNotExist) {
		b = c.cfg.Root
	} else if err != nil {
		return 0, err
	}
	md, err := metadata.Root().FromBytes(b)
	if err != nil {
		return 0, err
	}
	return md.Signed.Version, nil
}

// CompareVersions orders dotted versions numerically where both parts are
// numbers ("3.10.0" > "3.9.1"); a pre-release ("3.3.0-rc1") sorts before
// its release. It returns -1, 0 or 1.
func CompareVersions(a, b string) int {
	a, b = strings.TrimPrefix(a, "v"), strings.TrimPrefix(b, "v")
	am, apre, _ := strings.Cut(a, "-")
	bm, bpre, _ := strings.Cut(b, "-")
	ap, bp := strings.Split(am, "."), strings.Split(bm, ".")
	for i := 0; i < max(len(ap), len(bp)); i++ {
		x, y := "0", "0"
		if i < len(ap) {
			x = ap[i]
		}
		if i < len(bp) {
			y = bp[i]
		}
		if c := comparePart(x, y); c != 0 {
			return c
		}
	}
	switch {
	case apre == bpre:
		return 0
	case apre == "":
		return 1
	case bpre == "":
		return -1
	}
	return comparePart(apre, bpre)
}

func comparePart(x, y string) int {
	xi, xerr := strconv.ParseUint(x, 10, 64)
	yi, yerr := strconv.ParseUint(y, 10, 64)
	if xerr == nil && yerr == nil {
		switch {
		case xi < yi:
			return -1
		case xi > yi:
			return 1
		}
		return 0
	}
	return strings.Compare(x, y)
}
