package inventory

import (
	"strings"

	"github.com/rampart-security/rampart/internal/fault"
)

// ComponentQuery selects a page of one release's components.
type ComponentQuery struct {
	ReleaseID int64
	Filter    string // case-insensitive substring of name, version, purl or licence
	Sort      string // name (default), version, type, purl
	Desc      bool
	After     string // cursor from the previous page
	Limit     int
}

// Validate checks the sort key (empty is name).
func (q ComponentQuery) Validate() error {
	switch q.Sort {
	case "", "name", "version", "type", "purl":
		return nil
	}
	return fault.Invalid("sort", "sort: must be one of name, version, type, purl")
}

// SearchQuery searches components across the whole portfolio.
type SearchQuery struct {
	// Q is a name prefix ("openssl"), a purl prefix ("pkg:golang/golang.org/x/net")
	// or a CPE prefix ("cpe:2.3:a:busybox:busybox"). Case-insensitive for names and CPEs.
	Q string
	// Version filters by a version range (see ParseVersionRange).
	Version string
	After   string
	Limit   int
	// Products restricts hits to these products (nil: every product).
	Products []int64
}

// Validate checks that the query names something to search for and that
// its version range parses.
func (q SearchQuery) Validate() error {
	if strings.TrimSpace(q.Q) == "" {
		return fault.Invalid("q", "q: must not be empty: give a component name, purl or CPE prefix")
	}
	if _, err := ParseVersionRange(q.Version); err != nil {
		return fault.Invalid("version", "version: %v", err)
	}
	return nil
}

// SearchHit is a component with the release and product that ship it.
type SearchHit struct {
	Component      Component `json:"component"`
	ReleaseID      int64     `json:"release_id"`
	ReleaseVersion string    `json:"release_version"`
	ProductID      int64     `json:"product_id"`
	ProductName    string    `json:"product_name"`
}

// ComponentSink receives the components of a release written in batches
// (a streamed SBOM import). The store's import transaction implements it;
// sbom.Sink is the same interface.
type ComponentSink interface {
	// Add receives the next components in document order. Their DependsOn
	// may be incomplete: edges found later in the document arrive by Link.
	// batch is reused once Add returns.
	Add(batch []Component) error
	// Link adds dependency edges from the component whose Ref is from (one
	// already added) to the components with the Refs to.
	Link(from string, to []string) error
}
