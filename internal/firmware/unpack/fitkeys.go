package unpack

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// fitMaxKeyTrees bounds the device trees EmbeddedFITKeys parses in one blob.
const fitMaxKeyTrees = 256

// ParseFITKeys reads the public keys in a file given to verify FIT
// signatures: a U-Boot control device tree with /signature key nodes, or
// PEM (PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE blocks). name is the
// file's name, used in each key's Source.
func ParseFITKeys(name string, b []byte) ([]FITKey, error) {
	if fdtTotal(b) > 0 {
		root, err := parseFDT(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		keys, err := dtbKeys(name, root)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("%s: a device tree without /signature key nodes", name)
		}
		return keys, nil
	}
	var keys []FITKey
	for n := 1; ; n++ {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		var pub any
		var err error
		switch blk.Type {
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(blk.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(blk.Bytes)
		case "CERTIFICATE":
			var c *x509.Certificate
			if c, err = x509.ParseCertificate(blk.Bytes); err == nil {
				pub = c.PublicKey
			}
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: PEM block %d (%s): %w", name, n, blk.Type, err)
		}
		switch pub.(type) {
		case *rsa.PublicKey, *ecdsa.PublicKey:
			keys = append(keys, FITKey{Source: name, Public: pub})
		default:
			return nil, fmt.Errorf("%s: PEM block %d (%s): a %T key, not RSA or ECDSA", name, n, blk.Type, pub)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: neither a device tree nor a PEM public key or certificate", name)
	}
	return keys, nil
}

// EmbeddedFITKeys finds the device trees in data that hold /signature key
// nodes (a U-Boot binary with its control device tree appended, a .dtb)
// and returns their keys; name is data's path, used in each key's Source.
func EmbeddedFITKeys(name string, data []byte) []FITKey {
	var keys []FITKey
	magic := binary.BigEndian.AppendUint32(nil, fdtMagic)
	for at, trees := 0, 0; trees < fitMaxKeyTrees; {
		i := bytes.Index(data[at:], magic)
		if i < 0 {
			break
		}
		at += i
		total := fdtTotal(data[at:])
		if total == 0 {
			at++
			continue
		}
		trees++
		root, err := parseFDT(data[at:])
		if err != nil {
			at++ // not a tree after all: a real one may start inside what it claimed
			continue
		}
		if root.child("signature") != nil {
			if k, err := dtbKeys(fmt.Sprintf("%s at 0x%x", name, at), root); err == nil {
				keys = append(keys, k...)
			}
		}
		at += int(total)
	}
	return keys
}

// dtbKeys reads the key nodes under /signature; a node that is neither an
// RSA nor an ECDSA key is an error naming it.
func dtbKeys(source string, root *fdtNode) ([]FITKey, error) {
	sig := root.child("signature")
	if sig == nil {
		return nil, nil
	}
	var keys []FITKey
	for _, n := range sig.children {
		name := n.name
		if hint := n.str("key-name-hint"); hint != "" {
			name = hint
		} else {
			name = strings.TrimPrefix(name, "key-")
		}
		k := FITKey{Name: name, Source: source + " /signature/" + n.name}
		var err error
		switch {
		case n.props["rsa,modulus"] != nil:
			k.Public, err = dtbRSAKey(n)
		case n.props["ecdsa,curve"] != nil:
			k.Public, err = dtbECDSAKey(n)
		default:
			err = errors.New("neither rsa,modulus nor ecdsa,curve")
		}
		if err != nil {
			return nil, fmt.Errorf("key node /signature/%s: %w", n.name, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func dtbRSAKey(n *fdtNode) (*rsa.PublicKey, error) {
	mod := new(big.Int).SetBytes(n.props["rsa,modulus"])
	if bits, ok := n.u32("rsa,num-bits"); ok && int64(mod.BitLen()) != bits {
		return nil, fmt.Errorf("rsa,modulus has %d bits, rsa,num-bits says %d", mod.BitLen(), bits)
	}
	if mod.BitLen() < 1024 || mod.BitLen() > 8192 {
		return nil, fmt.Errorf("rsa,modulus of %d bits (1024 to 8192)", mod.BitLen())
	}
	e := uint64(65537) // U-Boot's default when rsa,exponent is absent
	if v, ok := n.props["rsa,exponent"]; ok {
		if len(v) != 8 {
			return nil, fmt.Errorf("rsa,exponent is %d bytes, not 8", len(v))
		}
		e = binary.BigEndian.Uint64(v)
	}
	if e < 3 || e > 1<<31-1 || e%2 == 0 {
		return nil, fmt.Errorf("rsa,exponent %d not usable", e)
	}
	return &rsa.PublicKey{N: mod, E: int(e)}, nil
}

func dtbECDSAKey(n *fdtNode) (*ecdsa.PublicKey, error) {
	var curve elliptic.Curve
	switch c := n.str("ecdsa,curve"); c {
	case "prime256v1":
		curve = elliptic.P256()
	case "secp384r1":
		curve = elliptic.P384()
	default:
		return nil, fmt.Errorf("ecdsa,curve %q not supported (prime256v1, secp384r1)", c)
	}
	size := (curve.Params().BitSize + 7) / 8
	x, y := n.props["ecdsa,x-point"], n.props["ecdsa,y-point"]
	cells := (curve.Params().BitSize + 31) / 32 * 4 // stored as whole cells
	if len(x) != cells || len(y) != cells {
		return nil, fmt.Errorf("ecdsa,x-point and ecdsa,y-point are %d and %d bytes, not %d", len(x), len(y), cells)
	}
	point := append(append([]byte{4}, x[cells-size:]...), y[cells-size:]...)
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, fmt.Errorf("ecdsa point: %w", err)
	}
	return pub, nil
}
