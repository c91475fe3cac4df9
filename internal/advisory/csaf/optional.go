package csaf

import (
	"fmt"
	"regexp"
	"strings"
)

func o(id string, run func(*checker)) test { return newTest(Optional, id, run) }

func inf(id string, run func(*checker)) test { return newTest(Informative, id, run) }

// Implemented optional tests. Not implemented: 6.2.13 (key sorting),
// 6.2.19 (CVSS for fixed products) and 6.2.20 (additional properties).
var optionalTests = []test{
	o("6.2.1", func(c *checker) {
		if c.isCategory("csaf_informational_advisory") {
			return // informational advisories have no vulnerabilities to reference products
		}
		used := map[string]bool{}
		for _, r := range c.productRefs() {
			used[r.id] = true
		}
		for _, d := range c.products {
			if !used[d.p.ProductID] {
				c.fail(d.path+"/product_id", "product %q is defined but never referenced: reference it or remove it", d.p.ProductID)
			}
		}
	}),
	o("6.2.2", func(c *checker) {
		c.forAffected(func(v *Vulnerability) map[string]bool {
			has := newMarks()
			for _, r := range v.Remediations {
				c.mark(has, r.ProductIDs, r.GroupIDs)
			}
			return has.products
		}, "has no remediation")
	}),
	o("6.2.3", func(c *checker) {
		c.forAffected(func(v *Vulnerability) map[string]bool {
			has := newMarks()
			for _, s := range v.Scores {
				c.mark(has, s.Products, nil)
			}
			return has.products
		}, "has no score")
	}),
	o("6.2.4", func(c *checker) {
		for i, r := range c.doc.Document.Tracking.RevisionHistory {
			if parseVersion(r.Number).build != "" {
				c.fail(fmt.Sprintf("/document/tracking/revision_history/%d/number", i), "revision %q carries build metadata", r.Number)
			}
		}
	}),
	o("6.2.5", func(c *checker) {
		items := c.sortedRevisions()
		if len(items) == 0 {
			return
		}
		ini, ok1 := parseTime(c.doc.Document.Tracking.InitialReleaseDate)
		old, ok2 := parseTime(items[0].r.Date)
		if ok1 && ok2 && ini.Before(old) {
			c.fail("/document/tracking/initial_release_date", "initial release date %s is older than the oldest revision (%s)", c.doc.Document.Tracking.InitialReleaseDate, items[0].r.Date)
		}
	}),
	o("6.2.6", func(c *checker) {
		items := c.sortedRevisions()
		if len(items) == 0 {
			return
		}
		cur, ok1 := parseTime(c.doc.Document.Tracking.CurrentReleaseDate)
		last, ok2 := parseTime(items[len(items)-1].r.Date)
		if ok1 && ok2 && cur.Before(last) {
			c.fail("/document/tracking/current_release_date", "current release date %s is older than the newest revision (%s)", c.doc.Document.Tracking.CurrentReleaseDate, items[len(items)-1].r.Date)
		}
	}),
	o("6.2.7", func(c *checker) {
		for vi, v := range c.doc.Vulnerabilities {
			for i, inv := range v.Involvements {
				if inv.Date == "" {
					c.fail(fmt.Sprintf("/vulnerabilities/%d/involvements/%d", vi, i), "involvement of %q has no date", inv.Party)
				}
			}
		}
	}),
	o("6.2.8", func(c *checker) { c.onlyHash("md5") }),
	o("6.2.9", func(c *checker) { c.onlyHash("sha1") }),
	o("6.2.10", func(c *checker) {
		if d := c.doc.Document.Distribution; d == nil || d.TLP == nil || d.TLP.Label == "" {
			c.fail("/document/distribution/tlp/label", "the document has no TLP label")
		}
	}),
	o("6.2.11", func(c *checker) {
		want := Filename(c.doc.Document.Tracking.ID)
		for _, r := range c.doc.Document.References {
			if r.Category == "self" && strings.HasPrefix(r.URL, "https://") && strings.HasSuffix(r.URL, "/"+want) {
				return
			}
		}
		c.fail("/document/references", "no self reference with the canonical URL (https://…/%s)", want)
	}),
	o("6.2.12", func(c *checker) {
		if c.doc.Document.Lang == "" {
			c.fail("/document/lang", "the document has no language")
		}
	}),
	o("6.2.14", func(c *checker) {
		for _, l := range []struct{ path, tag string }{{"/document/lang", c.doc.Document.Lang}, {"/document/source_lang", c.doc.Document.SourceLang}} {
			if l.tag != "" && privateLanguage(l.tag) {
				c.fail(l.path, "%q uses a private-use language subtag", l.tag)
			}
		}
	}),
	o("6.2.15", func(c *checker) {
		for _, l := range []struct{ path, tag string }{{"/document/lang", c.doc.Document.Lang}, {"/document/source_lang", c.doc.Document.SourceLang}} {
			if strings.EqualFold(l.tag, "i-default") {
				c.fail(l.path, "i-default is not a language: name the document's language")
			}
		}
	}),
	o("6.2.16", func(c *checker) {
		for _, d := range c.products {
			if d.p.ProductIdentificationHelper == nil {
				c.fail(d.path, "product %q has no product_identification_helper (purl, cpe, hashes, …)", d.p.ProductID)
			}
		}
	}),
	o("6.2.17", func(c *checker) {
		for vi, v := range c.doc.Vulnerabilities {
			for i, id := range v.IDs {
				if cveID.MatchString(id.Text) {
					c.fail(fmt.Sprintf("/vulnerabilities/%d/ids/%d/text", vi, i), "%s is a CVE id: put it in /vulnerabilities/%d/cve", id.Text, vi)
				}
			}
		}
	}),
	o("6.2.18", func(c *checker) {
		c.doc.ProductTree.WalkBranches(func(path string, b *Branch) {
			if b.Category == "product_version_range" && !strings.HasPrefix(b.Name, "vers:") {
				c.fail(path+"/name", "product_version_range %q is not in vers syntax (vers:…)", b.Name)
			}
		})
	}),
}

// Implemented informative tests. Not implemented: 6.3.6 and 6.3.7 (they fetch
// URLs), 6.3.8 (spell check), 6.3.9 (branch category order).
var informativeTests = []test{
	inf("6.3.1", func(c *checker) {
		for vi, v := range c.doc.Vulnerabilities {
			for si, s := range v.Scores {
				if s.CVSSv2 != nil && s.CVSSv3 == nil {
					c.fail(fmt.Sprintf("/vulnerabilities/%d/scores/%d", vi, si), "CVSS v2 is the only score: add CVSS v3.1")
				}
			}
		}
	}),
	inf("6.3.2", func(c *checker) {
		for vi, v := range c.doc.Vulnerabilities {
			for si, s := range v.Scores {
				if s.CVSSv3 != nil && str(s.CVSSv3["version"]) == "3.0" {
					c.fail(fmt.Sprintf("/vulnerabilities/%d/scores/%d/cvss_v3/version", vi, si), "CVSS v3.0 is used: prefer v3.1")
				}
			}
		}
	}),
	inf("6.3.3", func(c *checker) {
		for vi, v := range c.doc.Vulnerabilities {
			if v.CVE == "" {
				c.fail(fmt.Sprintf("/vulnerabilities/%d", vi), "the vulnerability has no CVE id")
			}
		}
	}),
	inf("6.3.4", func(c *checker) {
		for vi, v := range c.doc.Vulnerabilities {
			if v.CWE == nil {
				c.fail(fmt.Sprintf("/vulnerabilities/%d", vi), "the vulnerability has no CWE")
			}
		}
	}),
	inf("6.3.5", func(c *checker) {
		c.eachHashes(func(path string, hs *Hashes) {
			for fi, fh := range hs.FileHashes {
				if len(fh.Value) < 64 {
					c.fail(fmt.Sprintf("%s/file_hashes/%d/value", path, fi), "hash of %q is shorter than 64 characters (%s)", hs.Filename, fh.Algorithm)
				}
			}
		})
	}),
	inf("6.3.10", func(c *checker) {
		c.doc.ProductTree.WalkBranches(func(path string, b *Branch) {
			if b.Category == "product_version_range" {
				c.fail(path+"/category", "product_version_range %q is used: list the affected versions where possible", b.Name)
			}
		})
	}),
	inf("6.3.11", func(c *checker) {
		c.doc.ProductTree.WalkBranches(func(path string, b *Branch) {
			if b.Category == "product_version" && vVersion.MatchString(b.Name) {
				c.fail(path+"/name", "product_version %q starts with the version indicator v", b.Name)
			}
		})
	}),
}

var (
	cveID    = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,}$`)
	vVersion = regexp.MustCompile(`^[vV][0-9].*$`)
)

func (c *checker) forAffected(covered func(*Vulnerability) map[string]bool, what string) {
	for vi := range c.doc.Vulnerabilities {
		v := &c.doc.Vulnerabilities[vi]
		if v.ProductStatus == nil {
			continue
		}
		has := covered(v)
		for _, s := range statusLists(v.ProductStatus) {
			if statusGroup(s.name) != "affected" {
				continue
			}
			for i, id := range s.ids {
				if !has[id] {
					c.fail(fmt.Sprintf("/vulnerabilities/%d/product_status/%s/%d", vi, s.name, i), "affected product %q %s", id, what)
				}
			}
		}
	}
}

func (c *checker) onlyHash(algo string) {
	c.eachHashes(func(path string, hs *Hashes) {
		only := len(hs.FileHashes) > 0
		for _, fh := range hs.FileHashes {
			if !strings.EqualFold(fh.Algorithm, algo) {
				only = false
			}
		}
		if only {
			c.fail(path+"/file_hashes", "%s is the only hash of %q: add sha256 or stronger", algo, hs.Filename)
		}
	})
}

// privateLanguage reports BCP 47 private-use subtags: languages qaa–qtz,
// scripts Qaaa–Qabx, regions AA, QM–QZ, XA–XZ, ZZ, and x- extensions.
func privateLanguage(tag string) bool {
	parts := strings.Split(strings.ToLower(tag), "-")
	for i, p := range parts {
		switch {
		case p == "x" || (i == 0 && p == "i"):
			return p == "x"
		case i == 0 && len(p) == 3 && p >= "qaa" && p <= "qtz":
			return true
		case i > 0 && len(p) == 4 && p >= "qaaa" && p <= "qabx":
			return true
		case i > 0 && len(p) == 2 && (p == "aa" || p == "zz" || (p >= "qm" && p <= "qz") || (p >= "xa" && p <= "xz")):
			return true
		}
	}
	return false
}

// Filename is the file name of an advisory: /document/tracking/id lowercased,
// with every character other than a-z, 0-9, '+', '-' replaced by '_', plus ".json".
func Filename(trackingID string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(trackingID) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '+' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String() + ".json"
}
