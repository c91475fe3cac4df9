package signing

import (
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	k, err := Generate("Example PSIRT", "psirt@example.test", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Fingerprint) != 40 || !strings.Contains(k.Public, "PGP PUBLIC KEY BLOCK") || !strings.Contains(k.Private, "PGP PRIVATE KEY BLOCK") {
		t.Fatalf("key: %q\n%s", k.Fingerprint, k.Public)
	}
	doc := []byte(`{"document":{}}`)
	sig, err := k.Sign(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(k.Public, doc, sig); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := Verify(k.Public, []byte(`{"document":{"x":1}}`), sig); err == nil {
		t.Fatal("a changed document verified")
	}
	other, _ := Generate("Other", "o@example.test", time.Now())
	if err := Verify(other.Public, doc, sig); err == nil {
		t.Fatal("verified with another key")
	}
}
