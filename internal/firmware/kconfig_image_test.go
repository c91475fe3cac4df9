package firmware

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestKernelConfigFound: a kernel configuration in the image — a file in
// /boot, or IKCONFIG inside a kernel payload — is part of the result; a
// defconfig fragment is not.
func TestKernelConfigFound(t *testing.T) {
	var cfg bytes.Buffer
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&cfg, "CONFIG_OPT_%d=y\n", i)
	}
	cfg.WriteString("# CONFIG_SMB_SERVER is not set\nCONFIG_NF_TABLES=m\n")
	var zcfg bytes.Buffer
	zw := gzip.NewWriter(&zcfg)
	zw.Write(cfg.Bytes())
	zw.Close()
	kernel := append(append([]byte("Linux version 5.10.161 (builder@host) #1 SMP\x00....IKCFG_ST"), zcfg.Bytes()...), "IKCFG_ED"...)
	image := func(files map[string][]byte) []byte {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		for name, data := range files {
			tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
			tw.Write(data)
		}
		tw.Close()
		return b.Bytes()
	}
	for _, c := range []struct {
		name  string
		files map[string][]byte
		path  string
	}{
		{"boot", map[string][]byte{"etc/hostname": []byte("r\n"), "boot/config-5.10.161": cfg.Bytes()}, "/boot/config-5.10.161"},
		{"ikconfig", map[string][]byte{"boot/vmlinux": kernel}, "/boot/vmlinux"},
		{"fragment", map[string][]byte{"boot/config-5.10.161": []byte("CONFIG_A=y\n")}, ""},
	} {
		res, err := Analyze(context.Background(), c.name, image(c.files), Options{Now: fixedNow})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case c.path == "" && res.KernelConfig != nil:
			t.Errorf("%s: configuration %s from a fragment", c.name, res.KernelConfig.Path)
		case c.path != "" && (res.KernelConfig == nil || res.KernelConfig.Path != c.path || res.KernelConfig.Options["CONFIG_NF_TABLES"] != "m"):
			t.Errorf("%s: kernel config %+v, want from %s", c.name, res.KernelConfig, c.path)
		}
	}
}

// TestCramfsImageAnalysed: a big-endian cramfs or JFFS2 (a MIPS router's
// rootfs) is analysed like any filesystem: its setuid root binary and the telnetd
// its rcS starts are issues.
func TestCramfsImageAnalysed(t *testing.T) {
	for _, img := range []string{"be.cramfs", "be-rtime.jffs2"} {
		t.Run(img, func(t *testing.T) { analysedFlash(t, img) })
	}
}

func analysedFlash(t *testing.T, img string) {
	res := analyzeFixture(t, img)
	var got []string
	for _, is := range res.Issues {
		got = append(got, string(is.Kind)+" "+is.Path)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{"setuid_root /bin/su", "cleartext_service /etc/init.d/rcS"} {
		if !strings.Contains(all, want) {
			t.Errorf("issues lack %q:\n%s", want, all)
		}
	}
	if len(res.Layers) != 1 || !strings.HasPrefix(img, "be.") && res.Layers[0].Type != "jffs2" || strings.HasPrefix(img, "be.") && res.Layers[0].Type != "cramfs" {
		t.Errorf("layers %+v", res.Layers)
	}
}
