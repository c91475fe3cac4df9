package accounts

import (
	"crypto/des"
	"strings"
	"testing"
)

// TestDESAgainstCryptoDES: with salt ".." (no E-box swaps) one round of
// desBlock is plain DES, which crypto/des computes independently.
func TestDESAgainstCryptoDES(t *testing.T) {
	key := []byte{0x13, 0x34, 0x57, 0x79, 0x9b, 0xbc, 0xdf, 0xf1}
	plain := []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}
	c, _ := des.NewCipher(key)
	want := make([]byte, 8)
	c.Encrypt(want, plain)
	bits := func(b []byte) (out [64]byte) {
		for i := 0; i < 64; i++ {
			out[i] = (b[i/8] >> (7 - i%8)) & 1
		}
		return
	}
	got := desBlock(bits(key), bits(plain), desE, 1)
	if got != bits(want) {
		t.Errorf("DES block differs from crypto/des")
	}
}

// Vectors made with the system crypt(3) (glibc/libxcrypt) and openssl passwd.
var vectors = []struct{ hash, password, scheme string }{
	{"abOV.DfJmdnYw", "admin", "descrypt"},
	{"ZqwZpX27MPxW2", "xc3511", "descrypt"},
	{"zzn5f0lfrwg5w", "secretpassword", "descrypt"}, // only the first 8 characters count
	{"$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/", "admin", "md5crypt"},
	{"$5$abcdefgh$BAQylJEATll/bWbTxYtmJLX/qZpM1JPI8g9Fh9yhxA4", "1234", "sha256crypt"},
	{"$6$abcdefgh$cnW4XDznaFa1hR9LnqrjoiAqed87oTXop3rUraOEgMC9xZ8cZ4bnv81B/PgWNFtDN0PNbtGZlCIhm8Jws2OPr0", "root", "sha512crypt"},
}

func TestCrack(t *testing.T) {
	for _, v := range vectors {
		pw, scheme, ok := Crack(v.hash, []string{"nope", "wrong", v.password})
		if !ok || pw != v.password || scheme != v.scheme {
			t.Errorf("%s: got %q %s %v", v.hash, pw, scheme, ok)
		}
		if _, _, ok := Crack(v.hash, []string{"nope", "Admin1"}); ok {
			t.Errorf("%s cracked with wrong candidates", v.hash)
		}
	}
	if _, _, ok := Crack("zzn5f0lfrwg5w", []string{"secretpa"}); !ok {
		t.Error("DES crypt truncates to 8 characters")
	}
	// Absurd rounds are not attempted (a crafted shadow cannot stall analysis).
	if _, _, ok := Crack("$6$rounds=999999999$abc$xyz", []string{"x"}); ok {
		t.Error("rounds bound")
	}
}

func TestCheck(t *testing.T) {
	passwd := `root:x:0:0:root:/root:/bin/sh
toor:x:0:0::/root:/bin/sh
guest:x:1000:1000::/home/guest:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
ftp:x:55:55::/srv:/bin/false
locked:x:1001:1001::/home/l:/bin/sh
star:*:1002:1002::/home/s:/bin/sh
noshadow:x:1003:1003::/home/n:/bin/sh
inline:abOV.DfJmdnYw:1004:1004::/home/i:/bin/sh
# comment
broken line
`
	shadow := `root:$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/:1::::::
toor:!:1::::::
guest::1::::::
daemon::1::::::
ftp::1::::::
locked:!$1$abcdefgh$l/LAqC8oJERu7Cmx6trtY/:1::::::
star:*:1::::::
`
	is := Check(Parse([]byte(passwd), []byte(shadow), "/etc/passwd", "/etc/shadow"), nil)
	var got []string
	for _, i := range is {
		got = append(got, string(i.Kind)+" "+i.Account+" "+i.Path)
	}
	want := "default_password root /etc/shadow\nuid0_account toor /etc/passwd\nempty_password guest /etc/shadow\ndefault_password inline /etc/passwd"
	if strings.Join(got, "\n") != want {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
}

func TestDictionaryShipped(t *testing.T) {
	d := Dictionary()
	if len(d) < 50 || d[0] != "admin" {
		t.Errorf("dictionary: %d words, first %q", len(d), d[0])
	}
}

func FuzzParseCheck(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/sh\nadmin::0:0::/:/bin/sh\n"), []byte("root:abOV.DfJmdnYw:1::::::\n"))
	f.Add([]byte("a:$6$rounds=1000$s$h:0:0::/:/bin/sh"), []byte(""))
	f.Fuzz(func(t *testing.T, passwd, shadow []byte) {
		if len(passwd)+len(shadow) > 4096 {
			return
		}
		accts := Parse(passwd, shadow, "/etc/passwd", "/etc/shadow")
		for i, a := range accts {
			// sha/md5-crypt cost milliseconds per guess (tested above): keep
			// 40000 executions fast by checking only their parsing here.
			switch Scheme(a.Hash) {
			case "md5crypt", "sha256crypt", "sha512crypt":
				accts[i].Hash = a.Hash[:3]
			}
		}
		Check(accts, []string{"admin"})
	})
}
