package elfcheck

import (
	"bytes"
	"compress/zlib"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestCheckAcrossArchitectures(t *testing.T) {
	hardened := func(m elf.Machine, c elf.Class, o binary.ByteOrder) spec {
		return spec{machine: m, class: c, order: o, typ: elf.ET_DYN, stack: true, relro: true, interp: "/lib/ld.so.1",
			dyn:    [][2]uint64{{uint64(elf.DT_FLAGS), uint64(elf.DF_BIND_NOW)}, {uint64(elf.DT_FLAGS_1), uint64(elf.DF_1_NOW | elf.DF_1_PIE)}},
			needed: []string{"libc.so.0"}, dynsyms: []string{"__stack_chk_fail", "__memcpy_chk", "puts"}}
	}
	weak := func(m elf.Machine, c elf.Class, o binary.ByteOrder) spec {
		return spec{machine: m, class: c, order: o, typ: elf.ET_EXEC, stack: false, interp: "/lib/ld.so.1",
			needed: []string{"libc.so.0"}, dynsyms: []string{"puts", "strcpy"}, symtab: true}
	}
	arches := []struct {
		arch string
		m    elf.Machine
		c    elf.Class
		o    binary.ByteOrder
	}{
		{"arm", elf.EM_ARM, elf.ELFCLASS32, binary.LittleEndian},
		{"aarch64", elf.EM_AARCH64, elf.ELFCLASS64, binary.LittleEndian},
		{"mips", elf.EM_MIPS, elf.ELFCLASS32, binary.BigEndian},
		{"mipsel", elf.EM_MIPS, elf.ELFCLASS32, binary.LittleEndian},
		{"x86", elf.EM_386, elf.ELFCLASS32, binary.LittleEndian},
		{"x86_64", elf.EM_X86_64, elf.ELFCLASS64, binary.LittleEndian},
		{"riscv64", elf.EM_RISCV, elf.ELFCLASS64, binary.LittleEndian},
		{"riscv32", elf.EM_RISCV, elf.ELFCLASS32, binary.LittleEndian},
	}
	for _, a := range arches {
		t.Run(a.arch, func(t *testing.T) {
			h, err := Check(build(hardened(a.m, a.c, a.o)))
			if err != nil {
				t.Fatal(err)
			}
			want := Hardening{Arch: a.arch, Type: "pie", NX: true, PIE: true, RELRO: "full", Canary: true, Fortify: true, Stripped: true, Interp: "/lib/ld.so.1", Needed: []string{"libc.so.0"}}
			if !equal(h, want) {
				t.Errorf("hardened:\n got %+v\nwant %+v", h, want)
			}
			h, err = Check(build(weak(a.m, a.c, a.o)))
			if err != nil {
				t.Fatal(err)
			}
			want = Hardening{Arch: a.arch, Type: "exec", RELRO: "none", Interp: "/lib/ld.so.1", Needed: []string{"libc.so.0"}}
			if !equal(h, want) {
				t.Errorf("weak:\n got %+v\nwant %+v", h, want)
			}
		})
	}
}

func TestCheckVariants(t *testing.T) {
	base := spec{machine: elf.EM_MIPS, class: elf.ELFCLASS32, order: binary.BigEndian, typ: elf.ET_DYN, stack: true, needed: []string{"libc.so"}}
	// Executable stack: NX off.
	s := base
	s.execStack = true
	if h, _ := Check(build(s)); h.NX {
		t.Error("RWX GNU_STACK: NX should be off")
	}
	// RELRO without BIND_NOW is partial; DT_BIND_NOW makes it full.
	s = base
	s.relro = true
	if h, _ := Check(build(s)); h.RELRO != "partial" {
		t.Errorf("RELRO without BIND_NOW: %s, want partial", h.RELRO)
	}
	s.dyn = [][2]uint64{{uint64(elf.DT_BIND_NOW), 0}}
	if h, _ := Check(build(s)); h.RELRO != "full" {
		t.Errorf("RELRO with DT_BIND_NOW: %s, want full", h.RELRO)
	}
	// A shared library (no interpreter, no PIE flag) is a DSO, position independent.
	s = base
	if h, _ := Check(build(s)); h.Type != "dso" || !h.PIE {
		t.Errorf("shared object: %+v", h)
	}
	// __stack_chk_fail alone is a canary, not FORTIFY.
	s.dynsyms = []string{"__stack_chk_fail"}
	if h, _ := Check(build(s)); !h.Canary || h.Fortify {
		t.Errorf("canary only: %+v", h)
	}
	// Relocatable objects (kernel modules) are not checked.
	s.typ = elf.ET_REL
	if _, err := Check(build(s)); err != ErrNotExecutable {
		t.Errorf("ET_REL: err %v, want ErrNotExecutable", err)
	}
	if _, err := Check([]byte("\x7fELF but then not an elf at all, just text that is long enough to pass size checks")); !errors.Is(err, ErrNotELF) {
		t.Errorf("text: %v", err)
	}
}

// TestCheckCompilerOutput reads binaries gcc built with and without
// hardening (testdata/gen.sh), when the host has them unpacked.
func TestCheckCompilerOutput(t *testing.T) {
	for name, want := range map[string]Hardening{
		"hardened": {Arch: "x86_64", Type: "pie", NX: true, PIE: true, RELRO: "full", Canary: true, Fortify: true, Stripped: true},
		"weak":     {Arch: "x86_64", Type: "exec", NX: false, PIE: false, RELRO: "none", Stripped: false},
	} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		h, err := Check(b)
		if err != nil {
			t.Fatal(err)
		}
		h.Interp, h.Needed = "", nil
		if !equal(h, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, h, want)
		}
	}
}

func equal(a, b Hardening) bool {
	if len(a.Needed) != len(b.Needed) {
		return false
	}
	for i := range a.Needed {
		if a.Needed[i] != b.Needed[i] {
			return false
		}
	}
	a.Needed, b.Needed = nil, nil
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// compressSymtab returns b, a 64-bit little-endian ELF file from build
// with a .symtab, whose symbol table is n zero bytes compressed with zlib
// (SHF_COMPRESSED, appended to the file).
func compressSymtab(t testing.TB, b []byte, n int) []byte {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	idx := slices.IndexFunc(f.Sections, func(s *elf.Section) bool { return s.Name == ".symtab" })
	if idx < 0 {
		t.Fatal("no .symtab")
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, n))
	zw.Close()
	le := binary.LittleEndian
	out := append(slices.Clone(b), make([]byte, (8-len(b)%8)%8)...)
	at := len(out)
	out = le.AppendUint32(le.AppendUint32(out, uint32(elf.COMPRESS_ZLIB)), 0)
	out = le.AppendUint64(le.AppendUint64(out, uint64(n)), 8)
	out = append(out, z.Bytes()...)
	sh := out[int(le.Uint64(out[0x28:]))+idx*int(le.Uint16(out[0x3a:])):]
	le.PutUint64(sh[8:], le.Uint64(sh[8:])|uint64(elf.SHF_COMPRESSED))
	le.PutUint64(sh[24:], uint64(at))
	le.PutUint64(sh[32:], uint64(len(out)-at))
	return out
}

// TestCompressedTableBounded: debug/elf inflates a compressed section to
// the size its header states; a 300 KB binary whose symbol table was
// 256 MiB of compressed zeros made Check allocate 1.3 GiB (the symbols,
// then their names). A compressed symbol, dynamic or version table larger
// than the file is refused, naming the section.
func TestCompressedTableBounded(t *testing.T) {
	plain := build(spec{machine: elf.EM_X86_64, class: elf.ELFCLASS64, order: binary.LittleEndian, typ: elf.ET_EXEC, symtab: true})
	if h, err := Check(compressSymtab(t, plain, 480)); err != nil || h.Stripped {
		t.Fatalf("a small compressed .symtab: %+v %v", h, err)
	}
	bomb := compressSymtab(t, plain, 16<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Check(bomb)
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
		t.Errorf("checking %d bytes allocated %d MiB", len(bomb), got>>20)
	}
	want := fmt.Sprintf("section 6 (.symtab) is compressed to %d bytes, more than the %d bytes of the file", 16<<20, len(bomb))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), want) {
		t.Errorf("err %v, want ErrCorrupt: …%s", err, want)
	}
}

func FuzzCheck(f *testing.F) {
	f.Add(build(spec{machine: elf.EM_ARM, class: elf.ELFCLASS32, order: binary.LittleEndian, typ: elf.ET_DYN, stack: true, relro: true, dynsyms: []string{"__stack_chk_fail"}}))
	f.Add(build(spec{machine: elf.EM_X86_64, class: elf.ELFCLASS64, order: binary.LittleEndian, typ: elf.ET_EXEC, symtab: true}))
	if b, err := os.ReadFile("testdata/weak"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 1<<16 {
			return
		}
		h, err := Check(b)
		if err == nil && h.RELRO != "none" && h.RELRO != "partial" && h.RELRO != "full" {
			t.Fatalf("relro %q", h.RELRO)
		}
	})
}
