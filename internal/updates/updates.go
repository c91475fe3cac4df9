// Package updates is Rampart's signed firmware update service: one TUF
// repository per product (go-tuf v2 metadata), with offline root keys and a
// threshold, online targets/snapshot/timestamp keys held by Rampart
// (encrypted at rest), consistent snapshots, automatic re-signing before
// expiry and root key rotation. Metadata and targets live in the store, so
// several servers and the CLI share one repository.
//
// The device side is pkg/updateclient.
package updates

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/rampart-security/rampart/internal/audit"
	"github.com/rampart-security/rampart/internal/fault"
	"github.com/rampart-security/rampart/internal/inventory"
)

// Role names of the top-level TUF roles.
const (
	RoleRoot      = metadata.ROOT
	RoleTargets   = metadata.TARGETS
	RoleSnapshot  = metadata.SNAPSHOT
	RoleTimestamp = metadata.TIMESTAMP
)

// Audit actions of the update service: a created repository, a rotated
// root, a published target, a started rollout and a changed one (each
// recorded with its change, in one transaction).
const (
	ActionInit          = "update.init"
	ActionRotateRoot    = "update.rotate-root"
	ActionPublish       = "update.publish"
	ActionRolloutStart  = "rollout.start"
	ActionRolloutChange = "rollout.change"
)

// Repo is one product's update repository.
type Repo struct {
	ID        int64
	ProductID int64
	Slug      string
	// SealedKeys are the online signing keys, encrypted by a Sealer.
	SealedKeys []byte
	CreatedAt  time.Time
}

// Meta is one signed metadata document.
type Meta struct {
	Role    string    `json:"role"`
	Version int64     `json:"version"`
	Expires time.Time `json:"expires"`
	Content []byte    `json:"-"`
}

// Target is a published firmware image.
type Target struct {
	Name      string    `json:"name"`
	SHA256    string    `json:"sha256"`
	Length    int64     `json:"length"`
	Hardware  string    `json:"hardware,omitempty"`
	Version   string    `json:"version,omitempty"`
	ReleaseID int64     `json:"release_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Commit is one atomic change of a repository: new metadata versions, and
// optionally new targets (with their bytes) and new sealed online keys.
type Commit struct {
	RepoID     int64
	Metas      []Meta
	Targets    []TargetContent
	SealedKeys []byte
}

// TargetContent is a target with its bytes.
type TargetContent struct {
	Target  Target
	Content []byte
}

// Store persists repositories. Errors wrap fault.ErrNotFound for missing
// objects and fault.ErrConflict when a metadata version already exists
// (another writer committed first; the service retries). A publish commits
// its metadata and its audit record in one Atomic call.
type Store interface {
	audit.AtomicLog
	UpdateRepo(ctx context.Context, slug string) (Repo, error)
	UpdateRepoOfProduct(ctx context.Context, productID int64) (Repo, error)
	UpdateRepos(ctx context.Context) ([]Repo, error)
	// CreateUpdateRepo creates r with its first metadata. When r.ProductID is
	// 0 it uses the product named productName, creating it if missing.
	CreateUpdateRepo(ctx context.Context, r *Repo, productName string, metas []Meta) error
	CommitUpdate(ctx context.Context, c Commit) error
	// UpdateMeta returns one version of a role's metadata; version 0 is the newest.
	UpdateMeta(ctx context.Context, repoID int64, role string, version int64) (Meta, error)
	UpdateTarget(ctx context.Context, repoID int64, name string) (Target, error)
	UpdateTargetContent(ctx context.Context, repoID int64, name string) (Target, []byte, error)
	UpdateTargets(ctx context.Context, repoID int64) ([]Target, error)
	// ReleaseByVersion finds the release of a product by its version
	// (fault.ErrNotFound when there is none).
	ReleaseByVersion(ctx context.Context, productID int64, version string) (inventory.Release, error)
}

// Policy sets how long each role's metadata stays valid. Online roles are
// re-signed when less than half of their period remains.
type Policy struct {
	Root, Targets, Snapshot, Timestamp time.Duration
}

// DefaultPolicy: a root for a year (re-signed with the offline keys by
// rotate-root), targets for 90 days, snapshot for a week, timestamp for a day
// (a device that cannot reach a fresh timestamp within a day notices a freeze).
var DefaultPolicy = Policy{Root: 365 * 24 * time.Hour, Targets: 90 * 24 * time.Hour, Snapshot: 7 * 24 * time.Hour, Timestamp: 24 * time.Hour}

// Service runs the repository use cases.
type Service struct {
	st     Store
	seal   Sealer
	now    func() time.Time
	Policy Policy
}

// New returns a service over st; seal encrypts the online keys at rest.
func New(st Store, seal Sealer, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	if seal == nil {
		seal = noSealer{}
	}
	return &Service{st: st, seal: seal, now: now, Policy: DefaultPolicy}
}

var (
	slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$`)
)

// ValidSlug reports whether s can name a repository (it appears in URLs).
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

// InitRequest creates a repository.
type InitRequest struct {
	Slug string
	// ProductID is the product the repository belongs to; 0 uses (or
	// creates) the product named ProductName, or Slug when that is empty.
	ProductID   int64
	ProductName string
	// Threshold of root signatures (default 1); as many root keys are made.
	Threshold int
	// SaveKeys stores the new offline root keys (e.g. WriteRootKeys); it
	// runs before the repository is committed, so keys are never lost.
	SaveKeys func([]Key) error
}

// InitResult holds the offline root keys: they never reach the store.
type InitResult struct {
	Repo     Repo
	RootKeys []Key
	Root     []byte
}

// Init creates a product's repository with fresh offline root keys and
// online keys. Conflict when the slug already has a repository.
func (s *Service) Init(ctx context.Context, req InitRequest) (InitResult, error) {
	if !ValidSlug(req.Slug) {
		return InitResult{}, fault.Invalid("product", "%q is not a valid slug: use lower-case letters, digits and '-', at most 63", req.Slug)
	}
	if req.Threshold == 0 {
		req.Threshold = 1
	}
	if req.Threshold < 1 || req.Threshold > 16 {
		return InitResult{}, fault.Invalid("threshold", "must be between 1 and 16, got %d", req.Threshold)
	}
	if _, err := s.st.UpdateRepo(ctx, req.Slug); err == nil {
		return InitResult{}, fault.Conflict("product %s already has an update repository: use 'rampart updates rotate-root' to change its root keys", req.Slug)
	} else if !errors.Is(err, fault.ErrNotFound) {
		return InitResult{}, err
	}
	rootKeys := make([]Key, req.Threshold)
	for i := range rootKeys {
		k, err := NewKey()
		if err != nil {
			return InitResult{}, err
		}
		rootKeys[i] = k
	}
	online, err := newOnlineKeys()
	if err != nil {
		return InitResult{}, err
	}
	now := s.now().UTC()
	root := metadata.Root(now.Add(s.Policy.Root))
	for _, k := range rootKeys {
		if err := root.Signed.AddKey(k.Public(), RoleRoot); err != nil {
			return InitResult{}, err
		}
	}
	root.Signed.Roles[RoleRoot].Threshold = req.Threshold
	for role, k := range map[string]Key{RoleTargets: online.Targets, RoleSnapshot: online.Snapshot, RoleTimestamp: online.Timestamp} {
		if err := root.Signed.AddKey(k.Public(), role); err != nil {
			return InitResult{}, err
		}
	}
	rootMeta, err := signed(root, RoleRoot, 1, root.Signed.Expires, rootKeys...)
	if err != nil {
		return InitResult{}, err
	}
	targets := metadata.Targets(now.Add(s.Policy.Targets))
	targetsMeta, err := signed(targets, RoleTargets, 1, targets.Signed.Expires, online.Targets)
	if err != nil {
		return InitResult{}, err
	}
	snapMeta, err := s.signSnapshot(nil, 1, targetsMeta, online.Snapshot)
	if err != nil {
		return InitResult{}, err
	}
	tsMeta, err := s.signTimestamp(1, snapMeta, online.Timestamp)
	if err != nil {
		return InitResult{}, err
	}
	plain, err := online.marshal()
	if err != nil {
		return InitResult{}, err
	}
	sealed, err := s.seal.Seal(plain)
	if err != nil {
		return InitResult{}, err
	}
	repo := Repo{ProductID: req.ProductID, Slug: req.Slug, SealedKeys: sealed}
	name := req.ProductName
	if name == "" {
		name = req.Slug
	}
	if req.SaveKeys != nil {
		if err := req.SaveKeys(rootKeys); err != nil {
			return InitResult{}, err
		}
	}
	err = s.st.Atomic(ctx, func(ctx context.Context) error {
		if err := s.st.CreateUpdateRepo(ctx, &repo, name, []Meta{rootMeta, targetsMeta, snapMeta, tsMeta}); err != nil {
			return err
		}
		return audit.Record(ctx, s.st, audit.Event{Action: ActionInit, Object: fmt.Sprintf("repository %s, root threshold %d", req.Slug, req.Threshold),
			ProductID: repo.ProductID})
	})
	if err != nil {
		return InitResult{}, err
	}
	return InitResult{Repo: repo, RootKeys: rootKeys, Root: rootMeta.Content}, nil
}

// signed signs md (a *metadata.Metadata of any role) with keys and returns the stored form.
func signed[T metadata.Roles](md *metadata.Metadata[T], role string, version int64, expires time.Time, keys ...Key) (Meta, error) {
	md.ClearSignatures()
	for _, k := range keys {
		sg, err := k.signer()
		if err != nil {
			return Meta{}, err
		}
		if _, err := md.Sign(sg); err != nil {
			return Meta{}, fmt.Errorf("sign %s metadata: %w", role, err)
		}
	}
	// Root is read by people (and printed for provisioning); the online
	// roles are compact: targets.json grows with every image.
	b, err := md.ToBytes(role == RoleRoot)
	if err != nil {
		return Meta{}, err
	}
	return Meta{Role: role, Version: version, Expires: expires.UTC(), Content: b}, nil
}

// signSnapshot makes snapshot version v listing targets; prev (may be nil)
// carries over other entries.
func (s *Service) signSnapshot(prev *metadata.Metadata[metadata.SnapshotType], v int64, targets Meta, k Key) (Meta, error) {
	snap := prev
	if snap == nil {
		snap = metadata.Snapshot()
	}
	snap.Signed.Version = v
	snap.Signed.Expires = s.now().UTC().Add(s.Policy.Snapshot)
	snap.Signed.Meta["targets.json"] = metadata.MetaFile(targets.Version)
	return signed(snap, RoleSnapshot, v, snap.Signed.Expires, k)
}

// signTimestamp makes timestamp version v pointing at snapshot, with its
// length and hash so a mix-and-match snapshot is refused.
func (s *Service) signTimestamp(v int64, snapshot Meta, k Key) (Meta, error) {
	ts := metadata.Timestamp(s.now().UTC().Add(s.Policy.Timestamp))
	ts.Signed.Version = v
	sum := sha256.Sum256(snapshot.Content)
	mf := metadata.MetaFile(snapshot.Version)
	mf.Length = int64(len(snapshot.Content))
	mf.Hashes = metadata.Hashes{"sha256": sum[:]}
	ts.Signed.Meta["snapshot.json"] = mf
	return signed(ts, RoleTimestamp, v, ts.Signed.Expires, k)
}

func (s *Service) load(ctx context.Context, slug string) (Repo, onlineKeys, error) {
	repo, err := s.st.UpdateRepo(ctx, slug)
	if err != nil {
		return repo, onlineKeys{}, err
	}
	plain, err := s.seal.Open(repo.SealedKeys)
	if err != nil {
		return repo, onlineKeys{}, err
	}
	keys, err := unmarshalOnlineKeys(plain)
	return repo, keys, err
}

// chain re-signs the online roles of repo: targets when mutate is given or
// forceTargets, snapshot then too or when forceSnapshot, and always the
// timestamp. It returns the new metadata to commit.
func (s *Service) chain(ctx context.Context, repo Repo, keys onlineKeys, forceTargets bool, mutate func(*metadata.TargetsType) error) ([]Meta, error) {
	return s.chainLevel(ctx, repo, keys, forceTargets, true, mutate)
}

func (s *Service) chainLevel(ctx context.Context, repo Repo, keys onlineKeys, forceTargets, forceSnapshot bool, mutate func(*metadata.TargetsType) error) ([]Meta, error) {
	latestT, err := s.st.UpdateMeta(ctx, repo.ID, RoleTargets, 0)
	if err != nil {
		return nil, err
	}
	latestS, err := s.st.UpdateMeta(ctx, repo.ID, RoleSnapshot, 0)
	if err != nil {
		return nil, err
	}
	latestTS, err := s.st.UpdateMeta(ctx, repo.ID, RoleTimestamp, 0)
	if err != nil {
		return nil, err
	}
	var out []Meta
	targetsMeta := latestT
	if mutate != nil || forceTargets {
		t, err := metadata.Targets().FromBytes(latestT.Content)
		if err != nil {
			return nil, fmt.Errorf("stored targets metadata of %s: %w", repo.Slug, err)
		}
		if mutate != nil {
			if err := mutate(&t.Signed); err != nil {
				return nil, err
			}
		}
		t.Signed.Version = latestT.Version + 1
		t.Signed.Expires = s.now().UTC().Add(s.Policy.Targets)
		if targetsMeta, err = signed(t, RoleTargets, t.Signed.Version, t.Signed.Expires, keys.Targets); err != nil {
			return nil, err
		}
		out = append(out, targetsMeta)
	}
	snapMeta := latestS
	if len(out) > 0 || forceSnapshot {
		snap, err := metadata.Snapshot().FromBytes(latestS.Content)
		if err != nil {
			return nil, fmt.Errorf("stored snapshot metadata of %s: %w", repo.Slug, err)
		}
		if snapMeta, err = s.signSnapshot(snap, latestS.Version+1, targetsMeta, keys.Snapshot); err != nil {
			return nil, err
		}
		out = append(out, snapMeta)
	}
	tsMeta, err := s.signTimestamp(latestTS.Version+1, snapMeta, keys.Timestamp)
	if err != nil {
		return nil, err
	}
	return append(out, tsMeta), nil
}

// retry runs fn again when another writer committed the same version first.
func retry(fn func() error) error {
	var err error
	for range 8 {
		if err = fn(); !errors.Is(err, fault.ErrConflict) {
			return err
		}
	}
	return err
}

// PublishRequest adds a firmware image to a repository.
type PublishRequest struct {
	Slug string
	// ProductID names the repository by its product when Slug is empty.
	ProductID int64
	Name      string
	Content   []byte
	Hardware  string
	Version   string
	// ReleaseID links the image to a release of the repository's product.
	// When it is 0, the release whose version is Version is linked if the
	// product has one (an image of a version not yet registered links none).
	ReleaseID int64
}

// Publish adds (or replaces) a target, signs new targets, snapshot and
// timestamp metadata with the online keys and keeps earlier targets. No
// root key is needed. The audit record (update.publish, the actor in ctx)
// commits with the metadata or neither does.
func (s *Service) Publish(ctx context.Context, req PublishRequest) (Target, error) {
	ts, err := s.PublishMany(ctx, []PublishRequest{req})
	if err != nil {
		return Target{}, err
	}
	return ts[0], nil
}

// PublishMany publishes several images of one repository in one new
// targets version (all or none), with one audit record per image.
func (s *Service) PublishMany(ctx context.Context, reqs []PublishRequest) ([]Target, error) {
	if len(reqs) == 0 {
		return nil, fault.Invalid("file", "nothing to publish")
	}
	type entry struct {
		tf *metadata.TargetFiles
		tc TargetContent
	}
	entries := make([]entry, 0, len(reqs))
	for _, req := range reqs {
		if req.Slug != reqs[0].Slug || req.ProductID != reqs[0].ProductID {
			return nil, fault.Invalid("product", "one batch publishes into one repository")
		}
		if !nameRE.MatchString(req.Name) {
			return nil, fault.Invalid("name", "%q is not a valid target name: use letters, digits and . _ + -, no slashes, at most 200", req.Name)
		}
		if len(req.Content) == 0 {
			return nil, fault.Invalid("file", "the image %s is empty", req.Name)
		}
		if len(req.Hardware) > 200 || len(req.Version) > 100 {
			return nil, fault.Invalid("hardware", "hardware at most 200 and version at most 100 characters")
		}
		sum := sha256.Sum256(req.Content)
		t := Target{Name: req.Name, SHA256: hex.EncodeToString(sum[:]), Length: int64(len(req.Content)),
			Hardware: req.Hardware, Version: req.Version, ReleaseID: req.ReleaseID, CreatedAt: s.now().UTC()}
		custom, err := json.Marshal(map[string]string{"hardware": req.Hardware, "version": req.Version})
		if err != nil {
			return nil, err
		}
		raw := json.RawMessage(custom)
		entries = append(entries, entry{tf: &metadata.TargetFiles{Length: t.Length, Hashes: metadata.Hashes{"sha256": sum[:]}, Custom: &raw, Path: req.Name},
			tc: TargetContent{Target: t, Content: req.Content}})
	}
	repo, err := s.repoOf(ctx, reqs[0])
	if err != nil {
		return nil, err
	}
	slug := repo.Slug
	for i, req := range reqs {
		if req.ReleaseID != 0 || req.Version == "" {
			continue
		}
		rel, err := s.st.ReleaseByVersion(ctx, repo.ProductID, req.Version)
		switch {
		case err == nil:
			entries[i].tc.Target.ReleaseID = rel.ID
		case !errors.Is(err, fault.ErrNotFound):
			return nil, err
		}
	}
	err = retry(func() error {
		repo, keys, err := s.load(ctx, slug)
		if err != nil {
			return err
		}
		metas, err := s.chain(ctx, repo, keys, false, func(tt *metadata.TargetsType) error {
			for _, e := range entries {
				tt.Targets[e.tf.Path] = e.tf
			}
			return nil
		})
		if err != nil {
			return err
		}
		c := Commit{RepoID: repo.ID, Metas: metas}
		for _, e := range entries {
			c.Targets = append(c.Targets, e.tc)
		}
		return s.st.Atomic(ctx, func(ctx context.Context) error {
			if err := s.st.CommitUpdate(ctx, c); err != nil {
				return err
			}
			for _, e := range entries {
				t := e.tc.Target
				if err := audit.Record(ctx, s.st, audit.Event{Action: ActionPublish, Object: fmt.Sprintf("target %s sha256 %s", t.Name, t.SHA256), ProductID: repo.ProductID}); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	out := make([]Target, len(entries))
	for i, e := range entries {
		out[i] = e.tc.Target
	}
	return out, nil
}

// repoOf finds the repository a publish request names, by slug or else by
// product.
func (s *Service) repoOf(ctx context.Context, req PublishRequest) (Repo, error) {
	if req.Slug != "" {
		return s.st.UpdateRepo(ctx, req.Slug)
	}
	return s.st.UpdateRepoOfProduct(ctx, req.ProductID)
}

// RotateRequest replaces the root keys.
type RotateRequest struct {
	Slug string
	// OldKeys must include a threshold of the current root's keys.
	OldKeys []Key
	// Threshold of the new root (0: keep the current one).
	Threshold int
	// RotateOnline also replaces the online targets, snapshot and timestamp
	// keys (after a suspected compromise of the server) and re-signs them.
	RotateOnline bool
	// SaveKeys stores the new root keys before root N+1 is committed.
	SaveKeys func([]Key) error
}

// RotateResult holds the new offline root keys.
type RotateResult struct {
	NewKeys []Key
	Retired []Key
	Root    []byte
	Version int64
}

// RotateRoot signs root N+1 with new root keys, using a threshold of the
// old keys and of the new keys, so that a device holding root N trusts N+1.
func (s *Service) RotateRoot(ctx context.Context, req RotateRequest) (RotateResult, error) {
	var res RotateResult
	err := retry(func() error {
		repo, online, err := s.load(ctx, req.Slug)
		if err != nil {
			return err
		}
		cur, err := s.st.UpdateMeta(ctx, repo.ID, RoleRoot, 0)
		if err != nil {
			return err
		}
		root, err := metadata.Root().FromBytes(cur.Content)
		if err != nil {
			return fmt.Errorf("stored root metadata of %s: %w", repo.Slug, err)
		}
		role := root.Signed.Roles[RoleRoot]
		var old []Key
		for _, k := range req.OldKeys {
			if slices.Contains(role.KeyIDs, k.ID) {
				old = append(old, k)
			}
		}
		if len(old) < role.Threshold {
			return fault.Invalid("keys", "the key directory holds %d of the keys of root version %d, which needs %d: give the directory 'updates init' or the last 'rotate-root' wrote", len(old), cur.Version, role.Threshold)
		}
		threshold := req.Threshold
		if threshold == 0 {
			threshold = role.Threshold
		}
		if threshold < 1 || threshold > 16 {
			return fault.Invalid("threshold", "must be between 1 and 16, got %d", threshold)
		}
		newKeys := make([]Key, threshold)
		for i := range newKeys {
			if newKeys[i], err = NewKey(); err != nil {
				return err
			}
		}
		for _, id := range slices.Clone(role.KeyIDs) {
			if err := root.Signed.RevokeKey(id, RoleRoot); err != nil {
				return err
			}
		}
		for _, k := range newKeys {
			if err := root.Signed.AddKey(k.Public(), RoleRoot); err != nil {
				return err
			}
		}
		root.Signed.Roles[RoleRoot].Threshold = threshold
		var sealed []byte
		if req.RotateOnline {
			fresh, err := newOnlineKeys()
			if err != nil {
				return err
			}
			for r, k := range map[string]Key{RoleTargets: fresh.Targets, RoleSnapshot: fresh.Snapshot, RoleTimestamp: fresh.Timestamp} {
				for _, id := range slices.Clone(root.Signed.Roles[r].KeyIDs) {
					if err := root.Signed.RevokeKey(id, r); err != nil {
						return err
					}
				}
				if err := root.Signed.AddKey(k.Public(), r); err != nil {
					return err
				}
			}
			plain, err := fresh.marshal()
			if err != nil {
				return err
			}
			if sealed, err = s.seal.Seal(plain); err != nil {
				return err
			}
			online = fresh
		}
		root.Signed.Version = cur.Version + 1
		root.Signed.Expires = s.now().UTC().Add(s.Policy.Root)
		rootMeta, err := signed(root, RoleRoot, root.Signed.Version, root.Signed.Expires, append(slices.Clone(old), newKeys...)...)
		if err != nil {
			return err
		}
		metas := []Meta{rootMeta}
		if req.RotateOnline {
			more, err := s.chain(ctx, repo, online, true, nil)
			if err != nil {
				return err
			}
			metas = append(metas, more...)
		}
		if req.SaveKeys != nil {
			if err := req.SaveKeys(newKeys); err != nil {
				return err
			}
		}
		err = s.st.Atomic(ctx, func(ctx context.Context) error {
			if err := s.st.CommitUpdate(ctx, Commit{RepoID: repo.ID, Metas: metas, SealedKeys: sealed}); err != nil {
				return err
			}
			return audit.Record(ctx, s.st, audit.Event{Action: ActionRotateRoot, ProductID: repo.ProductID,
				Object: fmt.Sprintf("repository %s root version %d (online keys rotated: %v)", repo.Slug, rootMeta.Version, req.RotateOnline)})
		})
		if err != nil {
			return err
		}
		res = RotateResult{NewKeys: newKeys, Retired: old, Root: rootMeta.Content, Version: rootMeta.Version}
		return nil
	})
	return res, err
}

// Root returns the newest root.json of a repository (what a device is
// provisioned with).
func (s *Service) Root(ctx context.Context, slug string) ([]byte, error) {
	repo, err := s.st.UpdateRepo(ctx, slug)
	if err != nil {
		return nil, err
	}
	m, err := s.st.UpdateMeta(ctx, repo.ID, RoleRoot, 0)
	return m.Content, err
}

// Targets lists a repository's published images.
func (s *Service) Targets(ctx context.Context, slug string) ([]Target, error) {
	repo, err := s.st.UpdateRepo(ctx, slug)
	if err != nil {
		return nil, err
	}
	return s.st.UpdateTargets(ctx, repo.ID)
}

// Status summarises a repository's metadata.
type Status struct {
	Slug      string   `json:"slug"`
	ProductID int64    `json:"product_id"`
	Roles     []Meta   `json:"roles"` // newest of each role, without content
	Targets   []Target `json:"targets"`
}

// StatusOfProduct is Status with the targets, by product.
func (s *Service) StatusOfProduct(ctx context.Context, productID int64) (Status, error) {
	repo, err := s.st.UpdateRepoOfProduct(ctx, productID)
	if err != nil {
		return Status{}, err
	}
	st, err := s.Status(ctx, repo.Slug)
	if err != nil {
		return st, err
	}
	st.Targets, err = s.st.UpdateTargets(ctx, repo.ID)
	return st, err
}

// Status returns the newest version and expiry of each role.
func (s *Service) Status(ctx context.Context, slug string) (Status, error) {
	repo, err := s.st.UpdateRepo(ctx, slug)
	if err != nil {
		return Status{}, err
	}
	st := Status{Slug: repo.Slug, ProductID: repo.ProductID}
	for _, r := range []string{RoleRoot, RoleTargets, RoleSnapshot, RoleTimestamp} {
		m, err := s.st.UpdateMeta(ctx, repo.ID, r, 0)
		if err != nil {
			return st, err
		}
		m.Content = nil
		st.Roles = append(st.Roles, m)
	}
	return st, nil
}

// Resign re-signs the online roles of every repository whose targets,
// snapshot or timestamp has less than half of its validity left. It returns
// the slugs re-signed and the slugs whose root expires within 30 days
// (only the offline keys can fix those: run rotate-root).
func (s *Service) Resign(ctx context.Context) (resigned, rootExpiring []string, err error) {
	repos, err := s.st.UpdateRepos(ctx)
	if err != nil {
		return nil, nil, err
	}
	now := s.now()
	var errs []error
	for _, r := range repos {
		due := func(role string, period time.Duration) (bool, error) {
			m, err := s.st.UpdateMeta(ctx, r.ID, role, 0)
			if err != nil {
				return false, err
			}
			return m.Expires.Sub(now) < period/2, nil
		}
		if soon, err := due(RoleRoot, 60*24*time.Hour); err == nil && soon {
			rootExpiring = append(rootExpiring, r.Slug)
		}
		tDue, err := due(RoleTargets, s.Policy.Targets)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sDue, _ := due(RoleSnapshot, s.Policy.Snapshot)
		tsDue, _ := due(RoleTimestamp, s.Policy.Timestamp)
		if !tDue && !sDue && !tsDue {
			continue
		}
		err = retry(func() error {
			repo, keys, err := s.load(ctx, r.Slug)
			if err != nil {
				return err
			}
			metas, err := s.chainLevel(ctx, repo, keys, tDue, sDue, nil)
			if err != nil {
				return err
			}
			return s.st.CommitUpdate(ctx, Commit{RepoID: repo.ID, Metas: metas})
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("re-sign %s: %w", r.Slug, err))
			continue
		}
		resigned = append(resigned, r.Slug)
	}
	return resigned, rootExpiring, errors.Join(errs...)
}

// File returns a metadata file by its name in the repository URL layout:
// timestamp.json, root.json (newest) or N.root.json, N.targets.json,
// N.snapshot.json. NotFound for anything else.
func (s *Service) File(ctx context.Context, slug, name string) ([]byte, error) {
	role, version, ok := parseMetaName(name)
	if !ok {
		return nil, fault.NotFound("no metadata file %q", name)
	}
	repo, err := s.st.UpdateRepo(ctx, slug)
	if err != nil {
		return nil, err
	}
	m, err := s.st.UpdateMeta(ctx, repo.ID, role, version)
	if err != nil {
		return nil, err
	}
	return m.Content, nil
}

func parseMetaName(name string) (role string, version int64, ok bool) {
	base, found := strings.CutSuffix(name, ".json")
	if !found {
		return "", 0, false
	}
	switch base {
	case RoleTimestamp, RoleRoot:
		return base, 0, true
	}
	num, role, found := strings.Cut(base, ".")
	if !found || (role != RoleRoot && role != RoleTargets && role != RoleSnapshot) {
		return "", 0, false
	}
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v < 1 || strconv.FormatInt(v, 10) != num {
		return "", 0, false
	}
	return role, v, true
}

// TargetFile returns a target's bytes by its consistent-snapshot file name
// <hex sha256>.<name>. NotFound unless the digest is that of the target.
func (s *Service) TargetFile(ctx context.Context, slug, file string) ([]byte, error) {
	digest, name, ok := strings.Cut(file, ".")
	if !ok || len(digest) != 64 || !nameRE.MatchString(name) {
		return nil, fault.NotFound("no target file %q", file)
	}
	repo, err := s.st.UpdateRepo(ctx, slug)
	if err != nil {
		return nil, err
	}
	t, content, err := s.st.UpdateTargetContent(ctx, repo.ID, name)
	if err != nil {
		return nil, err
	}
	if t.SHA256 != strings.ToLower(digest) {
		return nil, fault.NotFound("no target file %q", file)
	}
	return content, nil
}
