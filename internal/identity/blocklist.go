package identity

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"strings"
	"sync"
)

// blocklistGz holds common and breached passwords (see blocklist/README.md
// for the source and licence).
//
//go:embed blocklist/passwords.txt.gz
var blocklistGz []byte

var blocklist = sync.OnceValue(func() map[string]struct{} {
	zr, err := gzip.NewReader(bytes.NewReader(blocklistGz))
	if err != nil {
		panic("identity: embedded password blocklist is corrupt: " + err.Error()) // build defect, caught by tests
	}
	m := make(map[string]struct{}, 200000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		if w := sc.Text(); w != "" {
			m[w] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		panic("identity: read embedded password blocklist: " + err.Error())
	}
	return m
})

// BlocklistSize is the number of blocked passwords (for tests and docs).
func BlocklistSize() int { return len(blocklist()) }

// Blocklisted reports whether a password is on the common/breached list
// (case-insensitive).
func Blocklisted(password string) bool {
	_, ok := blocklist()[strings.ToLower(password)]
	return ok
}
