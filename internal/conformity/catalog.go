// Package conformity turns Rampart's own data into a self-assessment against
// a conformity catalogue: ETSI EN 303 645 (consumer IoT) and the Cyber
// Resilience Act's Annex I essential requirements. Catalogues are data files
// (catalogs/*.yaml, with their source cited); each item names the automatic
// checks that answer it from the evidence Rampart holds about a release
// (SBOM, vulnerabilities and SLAs, threat model, firmware analysis, signed
// updates, advisories, disclosure policy). Where no check applies or the
// evidence is missing, a person answers; manual answers override automatic
// ones only with a justification.
//
// The engine (Assess) is a pure function of a catalogue, the evidence and
// the manual answers; gathering the evidence is the platform's job.
package conformity

import (
	"embed"
	"fmt"
	"sort"

	"gopkg.in/yaml.v3"
)

//go:embed catalogs/*.yaml
var catalogFS embed.FS

// Catalog is a versioned list of provisions or requirements.
type Catalog struct {
	ID      string  `yaml:"catalog" json:"catalog"`
	Title   string  `yaml:"title" json:"title"`
	Version string  `yaml:"version" json:"version"`
	Source  string  `yaml:"source" json:"source"`
	Groups  []Group `yaml:"groups" json:"groups"`
	Items   []Item  `yaml:"items" json:"items"`
}

// Group is a clause of the catalogue (e.g. ETSI 5.1, CRA Annex I Part II).
type Group struct {
	ID    string `yaml:"id" json:"id"`
	Title string `yaml:"title" json:"title"`
}

// Item is one provision or requirement.
type Item struct {
	ID       string   `yaml:"id" json:"id"`
	Group    string   `yaml:"group" json:"group"`
	Level    string   `yaml:"level" json:"level"` // mandatory or recommended
	Title    string   `yaml:"title" json:"title"`
	Question string   `yaml:"question" json:"question"`
	Checks   []string `yaml:"checks" json:"checks"`
}

// Catalog ids.
const (
	ETSI = "etsi-en-303-645"
	CRA  = "cra-annex-i"
)

// Catalogs returns the embedded catalogues, each checked.
func Catalogs() ([]*Catalog, error) {
	var out []*Catalog
	for _, id := range []string{ETSI, CRA} {
		c, err := LoadCatalog(id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// LoadCatalog returns the embedded catalogue id.
func LoadCatalog(id string) (*Catalog, error) {
	data, err := catalogFS.ReadFile("catalogs/" + id + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("unknown catalogue %q (known: %s, %s)", id, ETSI, CRA)
	}
	var c Catalog
	if err := yaml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("catalogue %s: %w", id, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("catalogue %s: %w", id, err)
	}
	return &c, nil
}

// Validate checks that ids are unique, groups exist, levels are known and
// every check is implemented.
func (c *Catalog) Validate() error {
	groups := map[string]bool{}
	for _, g := range c.Groups {
		groups[g.ID] = true
	}
	seen := map[string]bool{}
	for _, it := range c.Items {
		switch {
		case it.ID == "" || seen[it.ID]:
			return fmt.Errorf("item %q: missing or duplicate id", it.ID)
		case !groups[it.Group]:
			return fmt.Errorf("item %s: unknown group %q", it.ID, it.Group)
		case it.Level != "mandatory" && it.Level != "recommended":
			return fmt.Errorf("item %s: level %q is neither mandatory nor recommended", it.ID, it.Level)
		case it.Question == "" || it.Title == "":
			return fmt.Errorf("item %s: title and question are required", it.ID)
		}
		for _, ch := range it.Checks {
			if _, ok := checks[ch]; !ok {
				return fmt.Errorf("item %s: unknown check %q", it.ID, ch)
			}
		}
		seen[it.ID] = true
	}
	return nil
}

// Item returns the item with id.
func (c *Catalog) Item(id string) (Item, bool) {
	for _, it := range c.Items {
		if it.ID == id {
			return it, true
		}
	}
	return Item{}, false
}

// CheckNames lists the automatic checks, sorted.
func CheckNames() []string {
	var out []string
	for k := range checks {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// CheckDoc describes an automatic check.
func CheckDoc(name string) string { return checks[name].doc }
