package unpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// TestJFFS2 reads the images gen.sh makes with mkfs.jffs2 (the cramfs
// tree): zlib little-endian padded to its erase block, rtime big-endian,
// LZO; every entry kind, owners, modes and contents.
func TestJFFS2(t *testing.T) {
	for _, c := range []struct{ file, order string }{{"le.jffs2", "little-endian"}, {"be-rtime.jffs2", "big-endian"}, {"lzo.jffs2", "little-endian"}} {
		t.Run(c.file, func(t *testing.T) {
			checkGenImage(t, c.file, "jffs2", c.order, false)
		})
	}
}

// TestJFFS2Log: the newest version of a name wins, inode 0 unlinks it,
// later data nodes overwrite earlier ones; damaged nodes are skipped and
// counted; a JFFS2 partition behind a header is carved by its cleanmarker.
func TestJFFS2Log(t *testing.T) {
	b := fixture(t, "le.jffs2")
	blob := append(append([]byte("BOOTLOADER"), make([]byte, 65536-10)...), b...)
	if r := mustUnpack(t, blob); layerTypes(r) != "jffs2@65536" {
		t.Errorf("carved layers %q", layerTypes(r))
	}
	// Flip bytes inside the node that holds /etc/passwd's data: the node
	// fails its CRC and is skipped.
	at := bytes.Index(b, []byte("passwd"))
	if at < 0 {
		t.Fatal("no passwd dirent")
	}
	bad := append([]byte(nil), b...)
	bad[at] ^= 0xff // the dirent's name: name CRC fails, the entry is gone
	c, err := openJFFS2(fuzzUnpacker(), bad)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range c.files {
		if f.Inner == "/etc/passwd" {
			t.Error("a dirent with a bad CRC was used")
		}
	}
	if !strings.Contains(c.detail, "damaged nodes skipped") {
		t.Errorf("detail %q", c.detail)
	}
	// Damage anywhere never panics and never yields wrong bytes silently.
	want := map[string][]byte{}
	r := mustUnpack(t, b)
	for _, f := range r.Files {
		want[f.Inner] = f.Data
	}
	for at := 0; at < 12000; at += 61 {
		bad := append([]byte(nil), b...)
		bad[at] ^= 0x5a
		c, err := openJFFS2(fuzzUnpacker(), bad)
		if err != nil {
			continue
		}
		for _, f := range c.files {
			if f.Kind == KindFile && !bytes.Equal(f.Data, want[f.Inner]) && !strings.Contains(c.detail, "unreadable") && !strings.Contains(c.detail, "damaged") {
				t.Errorf("damage at %d: %s differs and the detail says %q", at, f.Inner, c.detail)
			}
		}
	}
	if _, err := openJFFS2(fuzzUnpacker(), make([]byte, 64)); err == nil {
		t.Error("no node, no error")
	}
}

// TestJFFS2ZeroBomb: zero-compressed nodes cost 68 bytes for a page of
// content; what an image may claim is bounded by the ratio limit.
func TestJFFS2ZeroBomb(t *testing.T) {
	b := fixture(t, "le.jffs2")
	u := fuzzUnpacker()
	u.lim.MaxRatio, u.lim.MaxTotalBytes = 1, 1<<40
	// Rewrite every inode node's isize to 1 GiB (fixing its node CRC).
	bomb := append([]byte(nil), b...)
	for p := 0; p+68 <= len(bomb); p += 4 {
		if binary.LittleEndian.Uint16(bomb[p:]) == jffs2Magic && binary.LittleEndian.Uint16(bomb[p+2:]) == jffs2Inode {
			if binary.LittleEndian.Uint32(bomb[p+20:])&0o170000 == 0o100000 {
				binary.LittleEndian.PutUint32(bomb[p+28:], 1<<30)
				binary.LittleEndian.PutUint32(bomb[p+64:], jffs2CRC(bomb[p:p+60]))
			}
		}
	}
	if _, err := openJFFS2(u, bomb); !errors.Is(err, ErrLimit) {
		t.Errorf("err %v, want ErrLimit", err)
	}
}

func TestRtime(t *testing.T) {
	// "abab…": a, b verbatim, then a repeats from its last position.
	out, err := rtimeDecompress([]byte{'a', 0, 'b', 0, 'a', 2}, 5)
	if err != nil || string(out) != "ababa" {
		t.Errorf("rtime %q %v", out, err)
	}
	if _, err := rtimeDecompress([]byte{'a', 200}, 5); err == nil {
		t.Error("a run past the node was accepted")
	}
	if _, err := rtimeDecompress([]byte{'a'}, 5); err == nil {
		t.Error("truncated input was accepted")
	}
}
