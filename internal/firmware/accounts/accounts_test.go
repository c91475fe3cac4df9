package accounts

import (
	"crypto/des"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
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
	// libxcrypt's bcrypt, in the three prefixes it writes and reads.
	{"$2b$05$abcdefghijklmnopqrstuuV2lmZSlg12FQgc5cJlKcm9nBvnWgizO", "1234", "bcrypt"},
	{"$2y$05$ABCDEFGHIJKLMNOPQRSTUuUB63TsI0S2GUclpwAxHGfYNoBn5JeOC", "1234", "bcrypt"},
	{"$2a$06$0123456789abcdefghijku8oYMnmuFJHFSiXY4lk4isA9l2cHwoIS", "1234", "bcrypt"},
}

// yescryptAdmin is libxcrypt's yescrypt of "admin" (Debian 11+ and
// Ubuntu 22.04+ default to it).
const yescryptAdmin = "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$U9UxR4nlxJR6RYds8q2nfUO3NjkfW12EtgsQ0/AQWP4"

// TestBcryptAndYescrypt: bcrypt accounts are cracked (an account whose
// password is its name too); costly bcrypt is tried only with the most
// common defaults, or not at all, and says so; yescrypt is recognised,
// never reported as a default password (it was not tried), and named as
// unchecked.
func TestBcryptAndYescrypt(t *testing.T) {
	cost9, err := bcrypt.GenerateFromPassword([]byte("admin"), 9) // first in the dictionary
	if err != nil {
		t.Fatal(err)
	}
	d := Dictionary()
	deep, err := bcrypt.GenerateFromPassword([]byte(d[len(d)-1]), 9) // last in the dictionary
	if err != nil {
		t.Fatal(err)
	}
	passwd := "root:x:0:0:root:/root:/bin/sh\nsupport:x:1000:1000::/home/support:/bin/sh\nops:x:1001:1001::/home/ops:/bin/sh\n" +
		"deep:x:1002:1002::/home/deep:/bin/sh\nslow:x:1003:1003::/home/slow:/bin/sh\nweird:x:1004:1004::/:/bin/sh\n"
	shadow := "root:" + yescryptAdmin + ":1::::::\n" +
		"support:$2b$05$zyxwvutsrqponmlkjihgfe3Ey0IYrlhWDHwV6AlytRw0jFmYITuMC:1::::::\n" +
		"ops:" + string(cost9) + ":1::::::\n" +
		"deep:" + string(deep) + ":1::::::\n" +
		"slow:$2b$14$abcdefghijklmnopqrstuuV2lmZSlg12FQgc5cJlKcm9nBvnWgizO:1::::::\n" +
		"weird:$9$something:1::::::\n"
	accts := Parse([]byte(passwd), []byte(shadow), "/etc/passwd", "/etc/shadow")
	var got []string
	for _, i := range Check(accts, nil) {
		got = append(got, string(i.Kind)+" "+i.Account+" "+i.Detail)
	}
	want := `default_password support account "support" has the default password "support" (bcrypt)` + "\n" +
		`default_password ops account "ops" has the default password "admin" (bcrypt)`
	if strings.Join(got, "\n") != want {
		t.Errorf("issues\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
	notes := strings.Join(Unchecked(accts), "\n")
	for _, w := range []string{`"root" (/etc/shadow): no pure-Go yescrypt`, `"ops" (/etc/shadow): bcrypt cost 9: only the account name and the 16 most common`,
		`"deep" (/etc/shadow): bcrypt cost 9`, `"slow" (/etc/shadow): bcrypt cost 14 (above 12), not tried`, `"weird" (/etc/shadow): unknown hash scheme`} {
		if !strings.Contains(notes, w) {
			t.Errorf("unchecked notes lack %q:\n%s", w, notes)
		}
	}
	if strings.Contains(notes, `"support"`) {
		t.Errorf("a fully checked account is named unchecked:\n%s", notes)
	}
	if Scheme(yescryptAdmin) != "yescrypt" {
		t.Errorf("scheme of %s = %q", yescryptAdmin, Scheme(yescryptAdmin))
	}
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
	f.Add([]byte("root:x:0:0::/:/bin/sh\nb:x:1:1::/:/bin/sh"), []byte("root:"+yescryptAdmin+":1::\nb:$2b$05$abcdefghijklmnopqrstuuV2lmZSlg12FQgc5cJlKcm9nBvnWgizO:1::"))
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
			case "bcrypt": // up to ~250 ms a guess
				accts[i].Hash = a.Hash[:4]
			}
		}
		Check(accts, []string{"admin"})
		Unchecked(accts)
	})
}
