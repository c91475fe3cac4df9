package identity

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"strings"
	"sync"
	"unicode"
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

// famousPassphrases are passphrases that are famous precisely for being
// passphrases (comics, films, pangrams, lyrics): attackers try them first.
// Compared without case, spaces or punctuation.
var famousPassphrases = []string{
	"correct horse battery staple", "the quick brown fox jumps over the lazy dog", "to be or not to be that is the question",
	"may the force be with you", "one ring to rule them all", "all your base are belong to us", "never gonna give you up",
	"never gonna let you down", "i am the walrus", "hello world", "open sesame", "let me in", "i love you",
	"supercalifragilisticexpialidocious", "the cake is a lie", "winter is coming", "i solemnly swear that i am up to no good",
	"live long and prosper", "houston we have a problem", "a long time ago in a galaxy far far away", "password is password",
	"this is my password", "my voice is my passport verify me", "trust no one", "change me", "changeit",
	"lorem ipsum dolor sit amet", "jackdaws love my big sphinx of quartz", "pack my box with five dozen liquor jugs",
}

var famous = sync.OnceValue(func() map[string]struct{} {
	m := make(map[string]struct{}, len(famousPassphrases))
	for _, p := range famousPassphrases {
		m[squash(p)] = struct{}{}
	}
	return m
})

// squash lowers s and drops everything but letters and digits.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// collapseRuns shortens every run of one repeated character to at most
// keep characters ("passsssword" → "password" with keep 2).
func collapseRuns(s string, keep int) string {
	var b strings.Builder
	var last rune = -1
	n := 0
	for _, r := range s {
		if r == last {
			n++
		} else {
			last, n = r, 1
		}
		if n <= keep {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// repetitive reports whether s is one short unit repeated ("abcabcabc…").
func repetitive(s string) bool {
	rs := []rune(s)
	for unit := 1; unit <= 4 && unit < len(rs); unit++ {
		if len(rs)%unit != 0 && len(rs) < 3*unit {
			continue
		}
		same := true
		for i := unit; i < len(rs); i++ {
			if rs[i] != rs[i%unit] {
				same = false
				break
			}
		}
		if same {
			return true
		}
	}
	return false
}

// Blocklisted reports whether a password is on the common/breached list
// or a famous passphrase, after normalising what attackers' rules vary:
// case, whitespace, punctuation and repeated characters.
func Blocklisted(password string) bool {
	list := blocklist()
	lower := strings.ToLower(strings.TrimSpace(password))
	sq := squash(password)
	for _, v := range []string{lower, strings.Join(strings.Fields(lower), ""), strings.Join(strings.Fields(lower), " "), sq,
		collapseRuns(lower, 2), collapseRuns(lower, 1), collapseRuns(sq, 2), collapseRuns(sq, 1)} {
		if v == "" {
			continue
		}
		if _, ok := list[v]; ok {
			return true
		}
	}
	_, ok := famous()[sq]
	return ok || sq != "" && repetitive(sq)
}
