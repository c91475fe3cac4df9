package updates

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/pkg/updateclient"
)

// Device is one device of a product's fleet, as of its last check-in.
type Device struct {
	ID          int64     `json:"-"`
	ProductID   int64     `json:"product_id"`
	DeviceID    string    `json:"device_id"`
	PublicKey   []byte    `json:"-"`
	Hardware    string    `json:"hardware"`
	Version     string    `json:"version"`
	ReleaseID   int64     `json:"release_id,omitempty"`
	Group       string    `json:"group,omitempty"`
	Country     string    `json:"country,omitempty"`
	LastTarget  string    `json:"last_target,omitempty"`
	LastResult  string    `json:"last_result,omitempty"`
	LastMessage string    `json:"last_message,omitempty"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	DeviceTime  time.Time `json:"-"`
}

// Rollout states.
const (
	RolloutActive = "active"
	RolloutPaused = "paused"
	RolloutHalted = "halted"
)

// Rollout offers a target to a share of a product's fleet.
type Rollout struct {
	ID        int64    `json:"id"`
	ProductID int64    `json:"product_id"`
	Target    string   `json:"target"`
	Percent   int      `json:"percent"`
	Groups    []string `json:"groups,omitempty"`
	State     string   `json:"state"`
	// FailureThreshold halts the rollout when more than this percentage of
	// at least MinReports reports are failures.
	FailureThreshold int       `json:"failure_threshold"`
	MinReports       int       `json:"min_reports"`
	Reason           string    `json:"reason,omitempty"`
	CreatedBy        string    `json:"created_by,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`
	// Installed and Failed count devices whose last report on Target says so.
	Installed int `json:"installed"`
	Failed    int `json:"failed"`
	// Version and Hardware of the target (from the repository).
	Version  string `json:"version,omitempty"`
	Hardware string `json:"hardware,omitempty"`
}

// Exposure counts devices still running a release affected by a vulnerability.
type Exposure struct {
	VulnID       string   `json:"vulnerability_id"`
	SeverityRank int      `json:"-"`
	Devices      int      `json:"devices"`
	Releases     []string `json:"releases"`
	// FixedShare is the share of the fleet not on an affected release.
	FixedShare float64 `json:"fixed_share"`
}

// FleetSummary counts a product's devices.
type FleetSummary struct {
	Devices   int            `json:"devices"`
	Versions  map[string]int `json:"versions"`
	Countries map[string]int `json:"countries"`
	// Stale devices have not checked in for 7 days.
	Stale int `json:"stale"`
}

// FleetStore persists devices and rollouts. Errors wrap fault sentinels.
// A rollout's start or change commits with its audit record in one Atomic
// call.
type FleetStore interface {
	audit.AtomicLog
	UpdateRepo(ctx context.Context, slug string) (Repo, error)
	UpdateRepoOfProduct(ctx context.Context, productID int64) (Repo, error)
	UpdateTarget(ctx context.Context, repoID int64, name string) (Target, error)
	ReleaseByVersion(ctx context.Context, productID int64, version string) (inventory.Release, error)
	Device(ctx context.Context, productID int64, deviceID string) (Device, error)
	SaveDevice(ctx context.Context, d *Device) error
	Rollouts(ctx context.Context, productID int64, states ...string) ([]Rollout, error)
	// ActiveRollouts is Rollouts(active) without the counts.
	ActiveRollouts(ctx context.Context, productID int64) ([]Rollout, error)
	Rollout(ctx context.Context, productID, id int64) (Rollout, error)
	CreateRollout(ctx context.Context, r *Rollout) error
	UpdateRollout(ctx context.Context, r Rollout) error
	RolloutCounts(ctx context.Context, productID int64, target string) (installed, failed int, err error)
	FleetDevices(ctx context.Context, productID int64, after string, limit int) ([]Device, string, error)
	FleetSummary(ctx context.Context, productID int64, staleBefore time.Time) (FleetSummary, error)
	FleetExposure(ctx context.Context, productID int64) ([]Exposure, error)
}

// Fleet runs check-ins, rollouts and the fleet view.
type Fleet struct {
	st  FleetStore
	now func() time.Time
	// ClockSkew is how far a device's clock may differ from the server's.
	ClockSkew time.Duration
	// Poll is how often devices are told to check in.
	Poll time.Duration
}

// NewFleet returns the fleet service.
func NewFleet(st FleetStore, now func() time.Time) *Fleet {
	if now == nil {
		now = time.Now
	}
	return &Fleet{st: st, now: now, ClockSkew: 10 * time.Minute, Poll: time.Hour}
}

var countryRE = regexp.MustCompile(`^[A-Z]{2}$`)

// ParseCheckIn decodes a check-in body, verifies its signature by the key
// it carries and checks its fields. It does not check freshness.
func ParseCheckIn(body []byte, signature string) (updateclient.CheckIn, error) {
	var c updateclient.CheckIn
	if err := json.Unmarshal(body, &c); err != nil {
		return c, fault.Invalid("body", "check-in: %v", err)
	}
	if len(c.PublicKey) != ed25519.PublicKeySize {
		return c, fault.Invalid("public_key", "must be a base64 ed25519 public key (32 bytes)")
	}
	if c.DeviceID != updateclient.DeviceID(c.PublicKey) {
		return c, fault.Invalid("device_id", "does not belong to public_key (it is the hex of the first 16 bytes of its SHA-256)")
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil || !ed25519.Verify(c.PublicKey, body, sig) {
		return c, fault.Unauthenticated("check-in signature (%s header) missing or invalid", updateclient.SignatureHeader)
	}
	if !ValidSlug(c.Product) {
		return c, fault.Invalid("product", "%q is not a product slug", c.Product)
	}
	for field, v := range map[string]string{"hardware": c.Hardware, "version": c.Version, "group": c.Group, "target": c.Target} {
		if len(v) > 200 {
			return c, fault.Invalid(field, "at most 200 characters")
		}
	}
	if c.Country != "" && !countryRE.MatchString(c.Country) {
		return c, fault.Invalid("country", "must be an ISO 3166-1 alpha-2 code such as DE")
	}
	switch c.Result {
	case updateclient.ResultNone, updateclient.ResultInstalled, updateclient.ResultFailed:
	default:
		return c, fault.Invalid("result", "must be empty, installed or failed")
	}
	if len(c.Message) > 1000 {
		c.Message = c.Message[:1000]
	}
	return c, nil
}

// CheckIn verifies a device's signed check-in (the device key is registered
// at the first check-in; the device id is derived from it), records the
// device, halts rollouts whose failures pass their threshold, and returns the
// update this device may install.
func (f *Fleet) CheckIn(ctx context.Context, body []byte, signature string) (updateclient.Offer, error) {
	c, err := ParseCheckIn(body, signature)
	if err != nil {
		return updateclient.Offer{}, err
	}
	now := f.now().UTC()
	c.Time = c.Time.UTC().Truncate(time.Microsecond) // the stored precision
	if d := c.Time.Sub(now); d > f.ClockSkew || d < -f.ClockSkew {
		return updateclient.Offer{}, fault.Unauthenticated("check-in time %s is more than %s from the server's clock: set the device clock", c.Time.Format(time.RFC3339), f.ClockSkew)
	}
	repo, err := f.st.UpdateRepo(ctx, c.Product)
	if err != nil {
		return updateclient.Offer{}, err
	}
	d, err := f.st.Device(ctx, repo.ProductID, c.DeviceID)
	switch {
	case errors.Is(err, fault.ErrNotFound):
		d = Device{ProductID: repo.ProductID, DeviceID: c.DeviceID, PublicKey: c.PublicKey, FirstSeen: now}
	case err != nil:
		return updateclient.Offer{}, err
	case !c.Time.After(d.DeviceTime):
		return updateclient.Offer{}, fault.Unauthenticated("check-in replayed: its time is not after the device's previous check-in")
	}
	d.Hardware, d.Version, d.Group, d.Country = c.Hardware, c.Version, c.Group, c.Country
	d.LastSeen, d.DeviceTime = now, c.Time.UTC()
	if c.Target != "" || c.Result != "" {
		d.LastTarget, d.LastResult, d.LastMessage = c.Target, c.Result, c.Message
	}
	d.ReleaseID = 0
	if rel, err := f.st.ReleaseByVersion(ctx, repo.ProductID, c.Version); err == nil {
		d.ReleaseID = rel.ID
	}
	if err := f.st.SaveDevice(ctx, &d); err != nil {
		return updateclient.Offer{}, err
	}
	rollouts, err := f.st.ActiveRollouts(ctx, repo.ProductID)
	if err != nil {
		return updateclient.Offer{}, err
	}
	offer := updateclient.Offer{PollSeconds: int(f.Poll / time.Second)}
	for _, r := range rollouts {
		if c.Result == updateclient.ResultFailed && c.Target == r.Target {
			if halted, err := f.checkHalt(ctx, r); err != nil {
				return offer, err
			} else if halted {
				continue
			}
		}
		if offer.Target != "" || !eligible(r, d) {
			continue
		}
		t, err := f.st.UpdateTarget(ctx, repo.ID, r.Target)
		if err != nil {
			continue // target gone: nothing to offer
		}
		if t.Hardware != "" && d.Hardware != "" && t.Hardware != d.Hardware {
			continue
		}
		if t.Version != "" && t.Version == d.Version {
			continue
		}
		if d.LastTarget == r.Target && d.LastResult == updateclient.ResultFailed {
			continue // failed here once: do not loop; a new rollout re-offers it
		}
		offer.Target, offer.Version, offer.Rollout = t.Name, t.Version, r.ID
	}
	return offer, nil
}

// checkHalt halts r when its failures pass the threshold.
func (f *Fleet) checkHalt(ctx context.Context, r Rollout) (bool, error) {
	ok, failed, err := f.st.RolloutCounts(ctx, r.ProductID, r.Target)
	if err != nil {
		return false, err
	}
	n := ok + failed
	if n < max(r.MinReports, 1) || failed*100 <= r.FailureThreshold*n {
		return false, nil
	}
	r.State = RolloutHalted
	r.Reason = fmt.Sprintf("halted automatically: %d of %d reports failed (threshold %d%%)", failed, n, r.FailureThreshold)
	r.UpdatedAt = f.now().UTC()
	return true, f.st.UpdateRollout(ctx, r)
}

// Bucket places a device in 0..99 for a rollout: stable per device and
// rollout, independent between rollouts.
func Bucket(deviceID string, rollout int64) int {
	sum := sha256.Sum256([]byte(deviceID + ":" + strconv.FormatInt(rollout, 10)))
	return int(binary.BigEndian.Uint32(sum[:4]) % 100)
}

func eligible(r Rollout, d Device) bool {
	if len(r.Groups) > 0 && d.Group != "" && slices.Contains(r.Groups, d.Group) {
		return true
	}
	return Bucket(d.DeviceID, r.ID) < r.Percent
}

// RolloutRequest starts a rollout.
type RolloutRequest struct {
	Target           string   `json:"target"`
	Percent          int      `json:"percent"`
	Groups           []string `json:"groups,omitempty"`
	FailureThreshold *int     `json:"failure_threshold,omitempty"`
	MinReports       *int     `json:"min_reports,omitempty"`
}

// StartRollout offers a published target to a share of a product's
// devices (a percentage, device groups, or both). Rollouts are independent;
// when several active rollouts include a device, the newest one wins. The
// rollout and its audit record (rollout.start) commit together.
func (f *Fleet) StartRollout(ctx context.Context, productID int64, req RolloutRequest, actor string) (Rollout, error) {
	repo, err := f.st.UpdateRepoOfProduct(ctx, productID)
	if err != nil {
		return Rollout{}, err
	}
	if _, err := f.st.UpdateTarget(ctx, repo.ID, req.Target); err != nil {
		return Rollout{}, fault.Invalid("target", "no published target %q: publish it first ('rampart updates publish')", req.Target)
	}
	if req.Percent < 0 || req.Percent > 100 {
		return Rollout{}, fault.Invalid("percent", "must be between 0 and 100")
	}
	if req.Percent == 0 && len(req.Groups) == 0 {
		return Rollout{}, fault.Invalid("percent", "give a percentage above 0 or device groups")
	}
	groups := []string{}
	for _, g := range req.Groups {
		if g = strings.TrimSpace(g); g != "" && len(g) <= 100 {
			groups = append(groups, g)
		}
	}
	r := Rollout{ProductID: productID, Target: req.Target, Percent: req.Percent, Groups: groups, State: RolloutActive,
		FailureThreshold: 10, MinReports: 5, CreatedBy: actor, CreatedAt: f.now().UTC(), UpdatedAt: f.now().UTC()}
	if req.FailureThreshold != nil {
		r.FailureThreshold = *req.FailureThreshold
	}
	if req.MinReports != nil {
		r.MinReports = *req.MinReports
	}
	if r.FailureThreshold < 0 || r.FailureThreshold > 100 {
		return Rollout{}, fault.Invalid("failure_threshold", "must be a percentage between 0 and 100")
	}
	if r.MinReports < 1 {
		return Rollout{}, fault.Invalid("min_reports", "must be at least 1")
	}
	err = audit.Change(ctx, f.st, func(ctx context.Context) (audit.Event, error) {
		err := f.st.CreateRollout(ctx, &r)
		return audit.Event{Action: ActionRolloutStart, Object: fmt.Sprintf("rollout %d of %s to %d%% %v", r.ID, r.Target, r.Percent, r.Groups), ProductID: productID}, err
	})
	return r, err
}

// RolloutChange pauses, resumes or widens a rollout.
type RolloutChange struct {
	State   string `json:"state,omitempty"`
	Percent *int   `json:"percent,omitempty"`
}

// ChangeRollout applies ch. Resuming a halted rollout is allowed (after the
// cause was fixed); its failure counts stay. The change and its audit
// record (rollout.change) commit together.
func (f *Fleet) ChangeRollout(ctx context.Context, productID, id int64, ch RolloutChange) (Rollout, error) {
	r, err := f.st.Rollout(ctx, productID, id)
	if err != nil {
		return r, err
	}
	switch ch.State {
	case "":
	case RolloutActive, RolloutPaused:
		if r.State != ch.State {
			r.Reason = ""
		}
		r.State = ch.State
	default:
		return r, fault.Invalid("state", "must be active (resume) or paused")
	}
	if ch.Percent != nil {
		if *ch.Percent < 0 || *ch.Percent > 100 {
			return r, fault.Invalid("percent", "must be between 0 and 100")
		}
		r.Percent = *ch.Percent
	}
	r.UpdatedAt = f.now().UTC()
	return r, audit.Change(ctx, f.st, func(ctx context.Context) (audit.Event, error) {
		err := f.st.UpdateRollout(ctx, r)
		return audit.Event{Action: ActionRolloutChange, Object: fmt.Sprintf("rollout %d: %s %d%%", r.ID, r.State, r.Percent), ProductID: productID}, err
	})
}

// Rollouts lists a product's rollouts, newest first, with their counts.
func (f *Fleet) Rollouts(ctx context.Context, productID int64) ([]Rollout, error) {
	return f.st.Rollouts(ctx, productID)
}

// Devices pages through a product's devices, most recently seen first.
func (f *Fleet) Devices(ctx context.Context, productID int64, after string, limit int) ([]Device, string, error) {
	return f.st.FleetDevices(ctx, productID, after, limit)
}

// Summary counts a product's devices by version and country.
func (f *Fleet) Summary(ctx context.Context, productID int64) (FleetSummary, error) {
	return f.st.FleetSummary(ctx, productID, f.now().Add(-7*24*time.Hour))
}

// Exposure lists, per vulnerability, the devices still on an affected
// release of the product, most devices first.
func (f *Fleet) Exposure(ctx context.Context, productID int64) ([]Exposure, error) {
	return f.st.FleetExposure(ctx, productID)
}

// View is a product's fleet summary and vulnerability exposure.
type View struct {
	Summary  FleetSummary
	Exposure []Exposure
}

// View returns the fleet summary and exposure of a product.
func (f *Fleet) View(ctx context.Context, productID int64) (View, error) {
	sum, err := f.Summary(ctx, productID)
	if err != nil {
		return View{}, err
	}
	exp, err := f.Exposure(ctx, productID)
	return View{Summary: sum, Exposure: exp}, err
}
