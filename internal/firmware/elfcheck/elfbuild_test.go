package elfcheck

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
)

// spec describes a synthetic ELF file: the program headers and dynamic
// entries checksec looks at, for any machine, class and byte order. The
// files are laid out as real linkers do (ELF header, program headers,
// sections, section header table) so debug/elf reads them as it reads
// compiler output.
type spec struct {
	machine   elf.Machine
	class     elf.Class
	order     binary.ByteOrder
	typ       elf.Type
	stack     bool // PT_GNU_STACK present
	execStack bool
	relro     bool
	interp    string
	dyn       [][2]uint64 // tag, value; DT_NEEDED values are names in dynNeeded
	needed    []string
	dynsyms   []string
	symtab    bool // keep a .symtab (not stripped)
}

func build(s spec) []byte {
	is64 := s.class == elf.ELFCLASS64
	o := s.order
	var dynstr bytes.Buffer
	dynstr.WriteByte(0)
	addStr := func(b *bytes.Buffer, n string) uint32 {
		off := uint32(b.Len())
		b.WriteString(n)
		b.WriteByte(0)
		return off
	}
	var dyn [][2]uint64
	for _, n := range s.needed {
		dyn = append(dyn, [2]uint64{uint64(elf.DT_NEEDED), uint64(addStr(&dynstr, n))})
	}
	dyn = append(dyn, s.dyn...)
	dyn = append(dyn, [2]uint64{uint64(elf.DT_NULL), 0})
	symNames := make([]uint32, len(s.dynsyms))
	for i, n := range s.dynsyms {
		symNames[i] = addStr(&dynstr, n)
	}
	symSize := 16
	if is64 {
		symSize = 24
	}
	sym := func(b *bytes.Buffer, name uint32) {
		if is64 {
			binary.Write(b, o, name)
			b.WriteByte(byte(elf.STB_GLOBAL)<<4 | byte(elf.STT_FUNC))
			b.WriteByte(0)
			binary.Write(b, o, uint16(0))
			binary.Write(b, o, uint64(0))
			binary.Write(b, o, uint64(0))
		} else {
			binary.Write(b, o, name)
			binary.Write(b, o, uint32(0))
			binary.Write(b, o, uint32(0))
			b.WriteByte(byte(elf.STB_GLOBAL)<<4 | byte(elf.STT_FUNC))
			b.WriteByte(0)
			binary.Write(b, o, uint16(0))
		}
	}
	var dynsym bytes.Buffer
	dynsym.Write(make([]byte, symSize))
	for _, n := range symNames {
		sym(&dynsym, n)
	}
	var dynamic bytes.Buffer
	for _, d := range dyn {
		if is64 {
			binary.Write(&dynamic, o, d[0])
			binary.Write(&dynamic, o, d[1])
		} else {
			binary.Write(&dynamic, o, uint32(d[0]))
			binary.Write(&dynamic, o, uint32(d[1]))
		}
	}
	var strtab, symtab bytes.Buffer
	strtab.WriteByte(0)
	symtab.Write(make([]byte, symSize))
	sym(&symtab, addStr(&strtab, "main"))

	type sec struct {
		name          string
		typ           elf.SectionType
		data          []byte
		link, entsize uint32
	}
	secs := []sec{
		{".interp", elf.SHT_PROGBITS, append([]byte(s.interp), 0), 0, 0},
		{".dynstr", elf.SHT_STRTAB, dynstr.Bytes(), 0, 0},
		{".dynsym", elf.SHT_DYNSYM, dynsym.Bytes(), 2, uint32(symSize)},
		{".dynamic", elf.SHT_DYNAMIC, dynamic.Bytes(), 2, 0},
	}
	if s.symtab {
		secs = append(secs, sec{".strtab", elf.SHT_STRTAB, strtab.Bytes(), 0, 0}, sec{".symtab", elf.SHT_SYMTAB, symtab.Bytes(), uint32(len(secs) + 1), uint32(symSize)})
	}
	var shstr bytes.Buffer
	shstr.WriteByte(0)
	names := make([]uint32, len(secs)+1)
	for i, sc := range secs {
		names[i] = addStr(&shstr, sc.name)
	}
	names[len(secs)] = addStr(&shstr, ".shstrtab")
	secs = append(secs, sec{".shstrtab", elf.SHT_STRTAB, shstr.Bytes(), 0, 0})

	ehSize, phSize, shSize := 52, 32, 40
	if is64 {
		ehSize, phSize, shSize = 64, 56, 64
	}
	type prog struct {
		typ   elf.ProgType
		flags elf.ProgFlag
		sec   int // section whose bytes it covers, or -1
	}
	var progs []prog
	if s.interp != "" {
		progs = append(progs, prog{elf.PT_INTERP, elf.PF_R, 0})
	}
	progs = append(progs, prog{elf.PT_DYNAMIC, elf.PF_R | elf.PF_W, 3})
	if s.stack {
		f := elf.PF_R | elf.PF_W
		if s.execStack {
			f |= elf.PF_X
		}
		progs = append(progs, prog{elf.PT_GNU_STACK, f, -1})
	}
	if s.relro {
		progs = append(progs, prog{elf.PT_GNU_RELRO, elf.PF_R, 3})
	}
	off := ehSize + phSize*len(progs)
	offs := make([]int, len(secs))
	var body bytes.Buffer
	for i, sc := range secs {
		for (off+body.Len())%8 != 0 {
			body.WriteByte(0)
		}
		offs[i] = off + body.Len()
		body.Write(sc.data)
	}
	for (off+body.Len())%8 != 0 {
		body.WriteByte(0)
	}
	shoff := off + body.Len()

	var out bytes.Buffer
	ident := [16]byte{0x7f, 'E', 'L', 'F', byte(s.class), 1, 1}
	if o == binary.BigEndian {
		ident[5] = 2
	}
	out.Write(ident[:])
	w := func(v any) { binary.Write(&out, o, v) }
	addr := func(v uint64) {
		if is64 {
			w(v)
		} else {
			w(uint32(v))
		}
	}
	w(uint16(s.typ))
	w(uint16(s.machine))
	w(uint32(1))
	addr(0x1000) // entry
	addr(uint64(ehSize))
	addr(uint64(shoff))
	w(uint32(0))
	w(uint16(ehSize))
	w(uint16(phSize))
	w(uint16(len(progs)))
	w(uint16(shSize))
	w(uint16(len(secs) + 1))
	w(uint16(len(secs))) // shstrndx
	for _, p := range progs {
		var po, pl uint64
		if p.sec >= 0 {
			po, pl = uint64(offs[p.sec]), uint64(len(secs[p.sec].data))
		}
		if is64 {
			w(uint32(p.typ))
			w(uint32(p.flags))
			w(po)
			w(po) // vaddr = offset
			w(po)
			w(pl)
			w(pl)
			w(uint64(8))
		} else {
			w(uint32(p.typ))
			w(uint32(po))
			w(uint32(po))
			w(uint32(po))
			w(uint32(pl))
			w(uint32(pl))
			w(uint32(p.flags))
			w(uint32(8))
		}
	}
	out.Write(body.Bytes())
	out.Write(make([]byte, shSize)) // null section
	for i, sc := range secs {
		w(names[i])
		w(uint32(sc.typ))
		addr(uint64(elf.SHF_ALLOC))
		addr(uint64(offs[i]))
		addr(uint64(offs[i]))
		addr(uint64(len(sc.data)))
		w(sc.link)
		if sc.typ == elf.SHT_SYMTAB || sc.typ == elf.SHT_DYNSYM {
			w(uint32(1)) // info: first global
		} else {
			w(uint32(0))
		}
		addr(8)
		addr(uint64(sc.entsize))
	}
	return out.Bytes()
}
