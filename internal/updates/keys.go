package updates

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Key is an ed25519 signing key with its TUF key id.
type Key struct {
	ID      string
	Private ed25519.PrivateKey
}

// NewKey generates a fresh ed25519 key.
func NewKey() (Key, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return Key{}, fmt.Errorf("generate ed25519 key: %w", err)
	}
	return keyFrom(priv)
}

func keyFrom(priv ed25519.PrivateKey) (Key, error) {
	k, err := metadata.KeyFromPublicKey(priv.Public())
	if err != nil {
		return Key{}, err
	}
	id, err := k.ID()
	if err != nil {
		return Key{}, err
	}
	return Key{ID: id, Private: priv}, nil
}

// Public returns the key in TUF's metadata form.
func (k Key) Public() *metadata.Key {
	mk, _ := metadata.KeyFromPublicKey(k.Private.Public())
	return mk
}

func (k Key) signer() (signature.Signer, error) {
	return signature.LoadSigner(k.Private, crypto.Hash(0))
}

// Offline root keys live in a directory, one PKCS#8 PEM file per key named
// root-<keyid prefix>.pem, readable only by the owner.

const rootKeyPrefix = "root-"

// WriteRootKeys writes keys into dir (created 0700), one file each.
func WriteRootKeys(dir string, keys []Key) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("--keys %s: %w", dir, err)
	}
	for _, k := range keys {
		der, err := x509.MarshalPKCS8PrivateKey(k.Private)
		if err != nil {
			return err
		}
		name := filepath.Join(dir, rootKeyPrefix+k.ID[:16]+".pem")
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("write root key: %w", err)
		}
		err = pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Headers: map[string]string{"TUF-Key-ID": k.ID}, Bytes: der})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write root key %s: %w", name, err)
		}
	}
	return nil
}

// ReadRootKeys reads every root-*.pem key file in dir.
func ReadRootKeys(dir string) ([]Key, error) {
	names, err := filepath.Glob(filepath.Join(dir, rootKeyPrefix+"*.pem"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("--keys %s: %w", dir, err)
		}
		return nil, fmt.Errorf("--keys %s: no root-*.pem key files (written by 'rampart updates init')", dir)
	}
	sort.Strings(names)
	var keys []Key
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		block, _ := pem.Decode(data)
		if block == nil || block.Type != "PRIVATE KEY" {
			return nil, fmt.Errorf("%s: not a PEM PRIVATE KEY", name)
		}
		pk, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		priv, ok := pk.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s: not an ed25519 key", name)
		}
		k, err := keyFrom(priv)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// RetireRootKeys moves the key files of keys into dir/retired, so that the
// directory holds only current root keys; destroy them once devices moved on.
func RetireRootKeys(dir string, keys []Key) error {
	ret := filepath.Join(dir, "retired")
	if err := os.MkdirAll(ret, 0o700); err != nil {
		return err
	}
	for _, k := range keys {
		name := rootKeyPrefix + k.ID[:16] + ".pem"
		if err := os.Rename(filepath.Join(dir, name), filepath.Join(ret, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("retire root key %s: %w", name, err)
		}
	}
	return nil
}

// onlineKeys are the keys Rampart holds to sign targets, snapshot and
// timestamp without the offline root keys.
type onlineKeys struct {
	Targets   Key
	Snapshot  Key
	Timestamp Key
}

type onlineKeysJSON struct {
	Targets   []byte `json:"targets"`
	Snapshot  []byte `json:"snapshot"`
	Timestamp []byte `json:"timestamp"`
}

func newOnlineKeys() (onlineKeys, error) {
	var o onlineKeys
	var err error
	for _, k := range []*Key{&o.Targets, &o.Snapshot, &o.Timestamp} {
		if *k, err = NewKey(); err != nil {
			return o, err
		}
	}
	return o, nil
}

func (o onlineKeys) marshal() ([]byte, error) {
	return json.Marshal(onlineKeysJSON{Targets: o.Targets.Private.Seed(), Snapshot: o.Snapshot.Private.Seed(), Timestamp: o.Timestamp.Private.Seed()})
}

func unmarshalOnlineKeys(b []byte) (onlineKeys, error) {
	var j onlineKeysJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return onlineKeys{}, fmt.Errorf("online keys: %w", err)
	}
	var o onlineKeys
	for _, p := range []struct {
		seed []byte
		k    *Key
	}{{j.Targets, &o.Targets}, {j.Snapshot, &o.Snapshot}, {j.Timestamp, &o.Timestamp}} {
		if len(p.seed) != ed25519.SeedSize {
			return o, errors.New("online keys: bad key length")
		}
		k, err := keyFrom(ed25519.NewKeyFromSeed(p.seed))
		if err != nil {
			return o, err
		}
		*p.k = k
	}
	return o, nil
}

// Sealer encrypts the online keys at rest.
type Sealer interface {
	Seal(plain []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

// KeyFileName is the file in the data directory holding the key that
// encrypts the online signing keys stored in the database.
const KeyFileName = "updates-signing.key"

// FileSealer encrypts with AES-256-GCM under a 32-byte key read from
// dir/updates-signing.key, created on first use. Every server and CLI that
// shares one database must share this file.
func FileSealer(dir string) (Sealer, error) {
	name := filepath.Join(dir, KeyFileName)
	key, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		key = make([]byte, 32)
		if _, err := io.ReadFull(rand.Reader, key); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) { // another process created it meanwhile
			return FileSealer(dir)
		}
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", name, err)
		}
		_, err = f.Write(key)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", name, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("%s: want 32 bytes, have %d", name, len(key))
	}
	return NewAESSealer(key, name)
}

// NewAESSealer returns an AES-256-GCM sealer; name labels errors.
func NewAESSealer(key []byte, name string) (Sealer, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return aesSealer{gcm: gcm, name: name}, nil
}

type aesSealer struct {
	gcm  cipher.AEAD
	name string
}

func (s aesSealer) Seal(plain []byte) ([]byte, error) {
	nonce := make([]byte, s.gcm.NonceSize())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return nil, err
	}
	return s.gcm.Seal(nonce, nonce, plain, []byte("rampart-updates-online-keys")), nil
}

func (s aesSealer) Open(sealed []byte) ([]byte, error) {
	n := s.gcm.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed online keys too short")
	}
	plain, err := s.gcm.Open(nil, sealed[:n], sealed[n:], []byte("rampart-updates-online-keys"))
	if err != nil {
		return nil, fmt.Errorf("the online signing keys cannot be decrypted with %s: every server and CLI sharing this database needs the same key file (%v)", s.name, err)
	}
	return plain, nil
}

// noSealer is used when no key file is configured: repositories can be
// served (serving needs no key) but not signed.
type noSealer struct{}

func (noSealer) Seal([]byte) ([]byte, error) {
	return nil, errors.New("no key file for the online signing keys is configured on this server")
}
func (noSealer) Open([]byte) ([]byte, error) {
	return nil, errors.New("no key file for the online signing keys is configured on this server")
}
