package updates

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/rampart-security/rampart/pkg/updateclient"
)

func FuzzParseCheckIn(f *testing.F) {
	seed := ed25519.NewKeyFromSeed(make([]byte, 32))
	pub := seed.Public().(ed25519.PublicKey)
	body, _ := json.Marshal(updateclient.CheckIn{Product: "acme-gateway", DeviceID: updateclient.DeviceID(pub), PublicKey: pub,
		Hardware: "IG-400", Version: "3.1.0", Country: "DE", Result: "failed", Target: "ig.img", Time: time.Unix(1, 0).UTC()})
	f.Add(body, base64.StdEncoding.EncodeToString(ed25519.Sign(seed, body)))
	if b, err := os.ReadFile("testdata/checkin.json"); err == nil {
		f.Add(b, "")
	}
	f.Add([]byte(`{"public_key":"AAAA"}`), "!!")
	f.Fuzz(func(t *testing.T, body []byte, sig string) {
		if len(body) > 16<<10 {
			return
		}
		c, err := ParseCheckIn(body, sig)
		if err == nil && (c.DeviceID != updateclient.DeviceID(c.PublicKey) || len(c.Message) > 1000) {
			t.Fatalf("accepted an inconsistent check-in %+v", c)
		}
	})
}

func FuzzMetadataName(f *testing.F) {
	for _, s := range []string{"timestamp.json", "root.json", "1.root.json", "12.targets.json", "3.snapshot.json", "01.root.json", "x.json", "-1.root.json"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		role, v, ok := parseMetaName(name)
		if ok && (role == "" || v < 0) {
			t.Fatalf("%q → %q %d", name, role, v)
		}
	})
}
