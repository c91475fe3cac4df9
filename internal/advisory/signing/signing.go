// Package signing holds the provider's OpenPGP signing keys: generation,
// armored export, detached signatures (.asc) and verification.
package signing

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Key is one OpenPGP signing key, armored.
type Key struct {
	Fingerprint string // upper-case hex, 40 characters
	Public      string // armored public key block
	Private     string // armored private key block (unencrypted: protect the store)
	CreatedAt   time.Time
}

// Generate makes a new Ed25519 signing key for the given identity.
func Generate(name, email string, now time.Time) (Key, error) {
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, DefaultHash: crypto.SHA512, Time: func() time.Time { return now }}
	e, err := openpgp.NewEntity(name, "CSAF signing key", email, cfg)
	if err != nil {
		return Key{}, fmt.Errorf("generate OpenPGP key: %w", err)
	}
	var pub, priv bytes.Buffer
	w, err := armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err != nil {
		return Key{}, err
	}
	if err := e.Serialize(w); err != nil {
		return Key{}, err
	}
	w.Close()
	w, err = armor.Encode(&priv, openpgp.PrivateKeyType, nil)
	if err != nil {
		return Key{}, err
	}
	if err := e.SerializePrivate(w, cfg); err != nil {
		return Key{}, err
	}
	w.Close()
	return Key{Fingerprint: fingerprint(e), Public: pub.String(), Private: priv.String(), CreatedAt: now.UTC()}, nil
}

func fingerprint(e *openpgp.Entity) string {
	return strings.ToUpper(fmt.Sprintf("%x", e.PrimaryKey.Fingerprint))
}

func readEntity(armored string) (*openpgp.Entity, error) {
	list, err := openpgp.ReadArmoredKeyRing(strings.NewReader(armored))
	if err != nil {
		return nil, fmt.Errorf("read OpenPGP key: %w", err)
	}
	if len(list) != 1 {
		return nil, fmt.Errorf("read OpenPGP key: %d keys in the block, want 1", len(list))
	}
	return list[0], nil
}

// Sign returns an armored detached signature of data (the .asc file).
func (k Key) Sign(data []byte) (string, error) {
	e, err := readEntity(k.Private)
	if err != nil {
		return "", err
	}
	if e.PrivateKey == nil {
		return "", errors.New("OpenPGP key has no private part")
	}
	var sig bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&sig, e, bytes.NewReader(data), &packet.Config{DefaultHash: crypto.SHA512}); err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return sig.String(), nil
}

// Verify checks an armored detached signature of data against the armored
// public key.
func Verify(publicKey string, data []byte, signature string) error {
	ring, err := openpgp.ReadArmoredKeyRing(strings.NewReader(publicKey))
	if err != nil {
		return fmt.Errorf("read OpenPGP public key: %w", err)
	}
	_, err = openpgp.CheckArmoredDetachedSignature(ring, bytes.NewReader(data), strings.NewReader(signature), nil)
	return err
}

// WritePublic writes the armored public key.
func (k Key) WritePublic(w io.Writer) error {
	_, err := io.WriteString(w, k.Public)
	return err
}
