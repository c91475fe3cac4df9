// Package elfcheck reads the hardening of an ELF executable or shared
// object the way checksec does: NX, PIE, RELRO, stack canary, FORTIFY_SOURCE
// and whether it is stripped. It uses only debug/elf and works for every
// architecture debug/elf reads (ARM, AArch64, MIPS of both endians, x86,
// x86-64, RISC-V, PowerPC …).
package elfcheck

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"strings"
)

// Hardening is one binary's checksec line.
type Hardening struct {
	Arch     string `json:"arch"`
	Type     string `json:"type"` // exec, pie, dso
	NX       bool   `json:"nx"`
	PIE      bool   `json:"pie"`
	RELRO    string `json:"relro"` // none, partial, full
	Canary   bool   `json:"canary"`
	Fortify  bool   `json:"fortify"`
	Stripped bool   `json:"stripped"`
	// Interp is the program interpreter (dynamic loader), if any.
	Interp string `json:"interp,omitempty"`
	// Needed are the DT_NEEDED libraries.
	Needed []string `json:"needed,omitempty"`
}

// ErrNotELF reports input that is not an ELF file.
var ErrNotELF = errors.New("not an ELF file")

// ErrNotExecutable reports an ELF file that is neither an executable nor a
// shared object (relocatable objects such as kernel modules, core files):
// hardening does not apply.
var ErrNotExecutable = errors.New("ELF file is not an executable or shared object")

// ErrCorrupt reports an ELF file whose tables cannot be read safely.
var ErrCorrupt = errors.New("corrupt ELF file")

// IsELF reports whether b starts with the ELF magic.
func IsELF(b []byte) bool { return len(b) >= 52 && bytes.HasPrefix(b, []byte("\x7fELF")) }

// Check reads the hardening of the ELF file in b.
func Check(b []byte) (h Hardening, err error) {
	defer func() {
		// debug/elf is fuzzed upstream, but a crafted file must never take
		// the analysis down.
		if r := recover(); r != nil {
			err = fmt.Errorf("corrupt ELF: %v", r)
		}
	}()
	if !IsELF(b) {
		return h, ErrNotELF
	}
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return h, fmt.Errorf("%w: %w", ErrNotELF, err)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return h, ErrNotExecutable
	}
	if err := checkTableSizes(f, len(b)); err != nil {
		return h, err
	}
	h.Arch = Arch(f)
	h.RELRO = "none"

	var hasStack, execStack, hasRelro, hasInterp bool
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_GNU_STACK:
			hasStack = true
			execStack = p.Flags&elf.PF_X != 0
		case elf.PT_GNU_RELRO:
			hasRelro = true
		case elf.PT_INTERP:
			hasInterp = true
			if p.Filesz > 0 && p.Filesz < 4096 {
				buf := make([]byte, p.Filesz)
				if _, err := p.ReadAt(buf, 0); err == nil {
					h.Interp = strings.TrimRight(string(buf), "\x00")
				}
			}
		}
	}
	// checksec: NX is disabled when there is no PT_GNU_STACK or it is RWX.
	h.NX = hasStack && !execStack

	bindNow, pieFlag := false, false
	if ds := f.Section(".dynamic"); ds != nil || hasDynamic(f) {
		for _, tag := range []elf.DynTag{elf.DT_BIND_NOW} {
			if v, _ := f.DynValue(tag); len(v) > 0 {
				bindNow = true
			}
		}
		if v, _ := f.DynValue(elf.DT_FLAGS); len(v) > 0 && v[0]&uint64(elf.DF_BIND_NOW) != 0 {
			bindNow = true
		}
		if v, _ := f.DynValue(elf.DT_FLAGS_1); len(v) > 0 {
			if v[0]&uint64(elf.DF_1_NOW) != 0 {
				bindNow = true
			}
			if v[0]&uint64(elf.DF_1_PIE) != 0 {
				pieFlag = true
			}
		}
		h.Needed, _ = f.ImportedLibraries()
	}
	switch {
	case hasRelro && bindNow:
		h.RELRO = "full"
	case hasRelro:
		h.RELRO = "partial"
	}

	switch {
	case f.Type == elf.ET_EXEC:
		h.Type = "exec"
	case hasInterp || pieFlag:
		h.Type, h.PIE = "pie", true
	default:
		// A shared object is position independent by construction
		// (checksec prints "DSO").
		h.Type, h.PIE = "dso", true
	}

	h.Stripped = f.Section(".symtab") == nil
	names := symbolNames(f)
	for _, n := range names {
		switch {
		case n == "__stack_chk_fail" || n == "__stack_chk_guard" || n == "__stack_chk_fail_local" || n == "__intel_security_cookie":
			h.Canary = true
		case strings.HasPrefix(n, "__") && strings.HasSuffix(n, "_chk") && n != "__stack_chk_fail":
			// __memcpy_chk, __sprintf_chk, … (glibc's and uClibc-ng's
			// fortified functions).
			h.Fortify = true
		}
	}
	return h, nil
}

// tableTypes are the sections Check has debug/elf read (symbols, dynamic
// entries, version tables), with the string tables they link to.
var tableTypes = map[elf.SectionType]bool{elf.SHT_SYMTAB: true, elf.SHT_DYNSYM: true, elf.SHT_DYNAMIC: true,
	elf.SHT_GNU_VERSYM: true, elf.SHT_GNU_VERNEED: true, elf.SHT_GNU_VERDEF: true}

// checkTableSizes refuses a compressed table (SHF_COMPRESSED) that
// inflates to more than the file's size: debug/elf inflates a section to
// the size its header states, so a 300 KB file whose symbol table was
// 256 MiB of compressed zeros made Check allocate 1.3 GiB. No linker
// compresses these tables (only .debug_* sections, which Check never
// reads), and an uncompressed table is never larger than the file.
func checkTableSizes(f *elf.File, size int) error {
	for i, s := range f.Sections {
		if !tableTypes[s.Type] {
			continue
		}
		check := []int{i}
		if int(s.Link) < len(f.Sections) {
			check = append(check, int(s.Link))
		}
		for _, j := range check {
			t := f.Sections[j]
			if t.Flags&elf.SHF_COMPRESSED != 0 && t.Size > uint64(size) {
				return fmt.Errorf("%w: section %d (%s) is compressed to %d bytes, more than the %d bytes of the file", ErrCorrupt, j, t.Name, t.Size, size)
			}
		}
	}
	return nil
}

func hasDynamic(f *elf.File) bool {
	for _, p := range f.Progs {
		if p.Type == elf.PT_DYNAMIC {
			return true
		}
	}
	return false
}

func symbolNames(f *elf.File) []string {
	var out []string
	if syms, err := f.DynamicSymbols(); err == nil {
		for _, s := range syms {
			out = append(out, strings.SplitN(s.Name, "@", 2)[0])
		}
	}
	if syms, err := f.Symbols(); err == nil {
		for _, s := range syms {
			out = append(out, s.Name)
		}
	}
	return out
}

// Arch names the ELF machine, with the endianness where it varies.
func Arch(f *elf.File) string {
	le := f.ByteOrder.String() == "LittleEndian"
	switch f.Machine {
	case elf.EM_ARM:
		if !le {
			return "armeb"
		}
		return "arm"
	case elf.EM_AARCH64:
		return "aarch64"
	case elf.EM_MIPS:
		s := "mips"
		if f.Class == elf.ELFCLASS64 {
			s = "mips64"
		}
		if le {
			s += "el"
		}
		return s
	case elf.EM_386:
		return "x86"
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_RISCV:
		if f.Class == elf.ELFCLASS64 {
			return "riscv64"
		}
		return "riscv32"
	case elf.EM_PPC:
		return "powerpc"
	case elf.EM_PPC64:
		return "powerpc64"
	}
	return strings.ToLower(strings.TrimPrefix(f.Machine.String(), "EM_"))
}
