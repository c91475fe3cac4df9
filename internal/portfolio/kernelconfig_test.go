package portfolio_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rampart-security/rampart/internal/blob"
	"github.com/rampart-security/rampart/internal/firmware"
	"github.com/rampart-security/rampart/internal/firmware/kconfig"
	"github.com/rampart-security/rampart/internal/inventory"
	"github.com/rampart-security/rampart/internal/portfolio"
	"github.com/rampart-security/rampart/internal/store"
	"github.com/rampart-security/rampart/internal/store/storetest"
	"github.com/rampart-security/rampart/internal/vuln"
)

// TestKernelConfigNotAffected: with the firmware image's kernel
// configuration, a kernel CVE in a subsystem that is not built is matched
// but not affected, with the reason; one in a built subsystem stays; a
// person's analysis wins; a later image that builds the subsystem brings
// the match back.
func TestKernelConfigNotAffected(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		rel := ensureRelease(t, st, "Router", "1.0")
		kernel := inventory.Component{Ref: "linux@5.10.161", Name: "linux", Version: "5.10.161", PURL: "pkg:generic/linux@5.10.161",
			CPEs: []string{"cpe:2.3:o:linux:linux_kernel:5.10.161:*:*:*:*:*:*:*"}}
		if err := st.ImportComponents(ctx, rel.ID, []inventory.Component{kernel}, blob.Blob{}); err != nil {
			t.Fatal(err)
		}
		cve := func(id, subsystem string) vuln.Advisory {
			return vuln.Advisory{ID: id, Summary: subsystem + ": fix a use-after-free",
				Details: "In the Linux kernel, the following vulnerability has been resolved:\n\n" + subsystem + ": fix a use-after-free",
				Configurations: []vuln.Configuration{{Nodes: []vuln.Node{{Matches: []vuln.CPEMatch{{Vulnerable: true,
					Criteria: "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*", VersionStartIncluding: "5.10", VersionEndExcluding: "5.10.200"}}}}}}}
		}
		if _, err := st.ImportAdvisories(ctx, []vuln.Advisory{cve("CVE-2099-1001", "ksmbd"), cve("CVE-2099-1002", "netfilter: nf_tables")}, nil, nil, nil, vuln.FeedImport{Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) // the service's clock stamps every analysis
		vulns := portfolio.NewVulns(st, func() time.Time { return at })
		state := func() map[string]vuln.ReleaseVuln {
			t.Helper()
			if _, err := vulns.Rematch(ctx, rel.ID); err != nil {
				t.Fatal(err)
			}
			vs, err := st.ReleaseVulns(ctx, rel.ID)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]vuln.ReleaseVuln{}
			for _, v := range vs {
				out[v.VulnID] = v
			}
			return out
		}
		if s := state(); len(s) != 2 || s["CVE-2099-1001"].Suppressed || s["CVE-2099-1002"].Suppressed {
			t.Fatalf("without a kernel configuration both affect: %+v", s)
		}
		saveConfig := func(set map[string]string) {
			t.Helper()
			var b strings.Builder
			for i := 0; i < 150; i++ {
				fmt.Fprintf(&b, "CONFIG_FILLER_%d=y\n", i)
			}
			for k, v := range set {
				fmt.Fprintf(&b, "%s=%s\n", k, v)
			}
			b.WriteString("# CONFIG_SMB_SERVER is not set\n")
			res := &firmware.Result{Image: "fw.bin", Layers: []firmware.Layer{{Type: "squashfs"}}, KernelConfig: kconfig.Parse("/boot/config-5.10.161", []byte(b.String()))}
			if err := st.SaveFirmwareAnalysis(ctx, &firmware.Analysis{ReleaseID: rel.ID, SHA256: "x", FileName: "fw.bin", Result: res}); err != nil {
				t.Fatal(err)
			}
		}
		saveConfig(map[string]string{"CONFIG_NF_TABLES": "y", "CONFIG_NETFILTER": "y"})
		s := state()
		smb, nft := s["CVE-2099-1001"], s["CVE-2099-1002"]
		if !smb.Suppressed || smb.Analysis == nil || smb.Analysis.Status != vuln.VEXNotAffected || smb.Analysis.Justification != "vulnerable_code_not_present" ||
			!strings.Contains(smb.Analysis.Detail, "CONFIG_SMB_SERVER not set") || !strings.Contains(smb.Analysis.Detail, "/boot/config-5.10.161") || smb.Analysis.UpdatedBy != "rampart-firmware" || !smb.Analysis.UpdatedAt.Equal(at) {
			t.Errorf("ksmbd CVE with ksmbd not built: %+v %+v", smb, smb.Analysis)
		}
		if nft.Suppressed || nft.Analysis != nil {
			t.Errorf("nf_tables CVE with nf_tables built: %+v", nft)
		}
		// A person's analysis wins over the derived one.
		if err := vulns.SetAnalysis(ctx, rel.ID, kernel.Ref, "CVE-2099-1001", vuln.Analysis{Status: vuln.VEXAffected, UpdatedBy: "alice"}); err != nil {
			t.Fatal(err)
		}
		if s := state(); s["CVE-2099-1001"].Suppressed || s["CVE-2099-1001"].Analysis.UpdatedBy != "alice" || !s["CVE-2099-1001"].Analysis.UpdatedAt.Equal(at) {
			t.Errorf("after alice's analysis: %+v", s["CVE-2099-1001"])
		}
		if _, err := st.DB().ExecContext(ctx, `DELETE FROM vex_analysis`); err != nil {
			t.Fatal(err)
		}
		if s := state(); !s["CVE-2099-1001"].Suppressed {
			t.Errorf("derived analysis not back: %+v", s["CVE-2099-1001"])
		}
		// The next image builds ksmbd: affected again.
		saveConfig(map[string]string{"CONFIG_NF_TABLES": "y", "CONFIG_SMB_SERVER": "m"})
		if s := state(); s["CVE-2099-1001"].Suppressed || s["CVE-2099-1001"].Analysis != nil {
			t.Errorf("ksmbd built in the later image: %+v", s["CVE-2099-1001"])
		}
	})
}
