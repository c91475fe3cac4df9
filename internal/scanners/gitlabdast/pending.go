package gitlabdast

import (
	"encoding/binary"

	"github.com/rampart-security/rampart/internal/findings"
)

// pendingFindings holds the findings of a SAST report read before its
// "scan" (GitLab's analyzers write it last, so that is every finding of
// the report) packed into one byte slice: the fields sastVulnerability's
// finding sets, each string length-prefixed. 100,000 dependency scanning
// findings held 114 MB of heap as []findings.Finding (a 416-byte struct
// each, its strings and slices); packed they are the bytes of their text.
// unpack gives back a Finding equal to the one packed (TestPendingRoundTrip).
type pendingFindings struct {
	buf []byte
	n   int
}

func (p *pendingFindings) str(s string) {
	p.buf = binary.AppendUvarint(p.buf, uint64(len(s)))
	p.buf = append(p.buf, s...)
}

// strs packs a list, telling nil from empty (+1 on the length; 0 is nil).
func (p *pendingFindings) strs(l []string) {
	if l == nil {
		p.buf = append(p.buf, 0)
		return
	}
	p.buf = binary.AppendUvarint(p.buf, uint64(len(l))+1)
	for _, s := range l {
		p.str(s)
	}
}

func (p *pendingFindings) add(f findings.Finding) {
	p.n++
	for _, s := range []string{f.Tool, string(f.Severity), f.UniqueID, f.Mitigation, f.RuleID, f.Title, f.Description, f.Component.Name, f.Component.Version} {
		p.str(s)
	}
	p.strs(f.VulnerabilityIDs)
	p.strs(f.References)
	if f.CWEs == nil {
		p.buf = append(p.buf, 0)
	} else {
		p.buf = binary.AppendUvarint(p.buf, uint64(len(f.CWEs))+1)
		for _, c := range f.CWEs {
			p.buf = binary.AppendVarint(p.buf, int64(c))
		}
	}
	if f.Locations == nil {
		p.buf = append(p.buf, 0)
	} else {
		p.buf = binary.AppendUvarint(p.buf, uint64(len(f.Locations))+1)
		for _, l := range f.Locations {
			p.str(l.File)
			p.buf = binary.AppendVarint(p.buf, int64(l.Line))
		}
	}
}

// each unpacks the findings in order.
func (p *pendingFindings) each(fn func(findings.Finding) error) error {
	b := p.buf
	uv := func() uint64 {
		v, n := binary.Uvarint(b)
		b = b[n:]
		return v
	}
	iv := func() int64 {
		v, n := binary.Varint(b)
		b = b[n:]
		return v
	}
	str := func() string {
		n := uv()
		s := string(b[:n])
		b = b[n:]
		return s
	}
	strs := func() []string {
		n := uv()
		if n == 0 {
			return nil
		}
		l := make([]string, n-1)
		for i := range l {
			l[i] = str()
		}
		return l
	}
	for range p.n {
		var f findings.Finding
		f.Tool, f.Severity, f.UniqueID, f.Mitigation, f.RuleID = str(), findings.Severity(str()), str(), str(), str()
		f.Title, f.Description, f.Component.Name, f.Component.Version = str(), str(), str(), str()
		f.VulnerabilityIDs = strs()
		f.References = strs()
		if n := uv(); n > 0 {
			f.CWEs = make([]int, n-1)
			for i := range f.CWEs {
				f.CWEs[i] = int(iv())
			}
		}
		if n := uv(); n > 0 {
			f.Locations = make([]findings.Location, n-1)
			for i := range f.Locations {
				f.Locations[i].File = str()
				f.Locations[i].Line = int(iv())
			}
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}
