package inode

import (
	"encoding/binary"
	"errors"
	"io"
)

type symlinkInit struct {
	LinkCount  uint32
	TargetSize uint32
}

type Symlink struct {
	symlinkInit
	Target []byte
}

type ESymlink struct {
	symlinkInit
	Target   []byte
	XattrInd uint32
}

// maxTarget bounds a symlink's target (Linux allows 4095 bytes); a larger
// size is a corrupt inode (Rampart patch).
const maxTarget = 1 << 16

var errTargetSize = errors.New("symlink target larger than 64 KiB (corrupt image)")

func ReadSym(r io.Reader) (s Symlink, err error) {
	err = binary.Read(r, binary.LittleEndian, &s.symlinkInit)
	if err != nil {
		return
	}
	if s.TargetSize > maxTarget { // Rampart: a corrupt size must not allocate gigabytes
		return s, errTargetSize
	}
	s.Target = make([]byte, s.TargetSize)
	err = binary.Read(r, binary.LittleEndian, &s.Target)
	return
}

func ReadESym(r io.Reader) (s ESymlink, err error) {
	err = binary.Read(r, binary.LittleEndian, &s.symlinkInit)
	if err != nil {
		return
	}
	if s.TargetSize > maxTarget { // Rampart: a corrupt size must not allocate gigabytes
		return s, errTargetSize
	}
	s.Target = make([]byte, s.TargetSize)
	err = binary.Read(r, binary.LittleEndian, &s.Target)
	if err != nil {
		return
	}
	err = binary.Read(r, binary.LittleEndian, &s.XattrInd)
	return
}
