package unpack

// ---- U-Boot FIT signatures (verified boot) ----
//
// U-Boot doc/usage/fit/signature.rst: a signature-N subnode of an image
// node signs that image's data (as stored: compressed, and external data
// where data-offset/data-position put it); a signature-N subnode of a
// configuration signs a set of regions of the tree itself. The regions are
// those of boot/image-fit-sig.c and the libfdt region finder (its
// fdt_find_regions): the root node, the configuration node, every image the
// configuration names and each image's hash-N, cipher and dm-verity
// subnodes, without their data, data-size, data-position and data-offset
// properties, followed by the first hashed-strings bytes of the strings
// block. The node list is built from the configuration as current U-Boot
// does (not taken from the hashed-nodes property, which an attacker could
// shorten); mkimage writes the same list into hashed-nodes.
//
// `algo` is "<hash>,<crypto>": sha1, sha256, sha384, sha512 with rsa2048,
// rsa3072, rsa4096 (`padding` "pkcs-1.5", the default, or "pss") or
// ecdsa256, ecdsa384 (the value is r and s, each as wide as the curve).
// Keys come from a U-Boot control device tree (/signature/key-<name>:
// rsa,modulus, rsa,exponent, rsa,num-bits; ecdsa,curve, ecdsa,x-point,
// ecdsa,y-point; lib/rsa/rsa-verify.c and lib/ecdsa/ecdsa-verify.c) or a
// PEM public key or certificate.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	_ "crypto/sha512" // registers SHA-384 and SHA-512 for crypto.Hash.New
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"strings"
)

// Results of a FIT signature check.
const (
	SigVerified    = "verified"
	SigBad         = "bad signature"
	SigNoKey       = "no key"
	SigUnsupported = "unsupported"
)

// FITKey is a public key that can verify FIT signatures.
type FITKey struct {
	// Name is the key-name-hint the key answers to: the key-<name> node
	// of a control device tree; "" for a PEM key, which answers to any.
	Name string
	// Source says where the key came from ("keys.dtb /signature/key-dev").
	Source string
	// Public is an *rsa.PublicKey or an *ecdsa.PublicKey.
	Public crypto.PublicKey
}

// FITSignature is the check of one signature-N node.
type FITSignature struct {
	Node        string `json:"node"` // /configurations/conf-1/signature-1
	Algo        string `json:"algo"`
	Padding     string `json:"padding,omitempty"`
	KeyNameHint string `json:"key_name_hint,omitempty"`
	SignedBy    string `json:"signed_by,omitempty"` // signer-name and signer-version
	Comment     string `json:"comment,omitempty"`
	// Result is verified, bad signature, no key or unsupported.
	Result string `json:"result"`
	// Key is the source of the key that verified it (or failed to).
	Key string `json:"key,omitempty"`
	// Reason says why it is not verified.
	Reason string `json:"reason,omitempty"`
}

// FITSignatures is what a FIT image says about its signatures.
type FITSignatures struct {
	// DefaultConfig is the configuration U-Boot boots without being told
	// ("default", else the first); "" when there is none.
	DefaultConfig string `json:"default_config"`
	// DefaultSigned is set when the default configuration has a
	// signature-N node (whatever its result).
	DefaultSigned bool           `json:"default_signed"`
	Signatures    []FITSignature `json:"signatures"`
	// BadHashes lists the images whose data does not match their hash-N
	// nodes: corrupted or changed after mkimage, and refused by U-Boot. A
	// configuration signature signs the hash values, not the data, so it
	// still verifies over such an image.
	BadHashes []FITBadHash `json:"bad_hashes,omitempty"`
}

// FITBadHash is an image whose data does not match its hash-N nodes.
type FITBadHash struct {
	Image  string `json:"image"`  // /images/kernel-1
	Detail string `json:"detail"` // "sha256 mismatch"
}

// CheckFITSignatures checks every signature-N node of the images and
// configurations of the FIT image at the start of b against keys.
func CheckFITSignatures(b []byte, keys []FITKey) (*FITSignatures, error) {
	root, err := parseFDT(b)
	if err != nil {
		return nil, fmt.Errorf("FIT: %w", err)
	}
	images := root.child("images")
	if images == nil {
		return nil, errors.New("FIT: no /images node")
	}
	out := &FITSignatures{Signatures: []FITSignature{}}
	total := fdtTotal(b)
	for _, img := range images.children {
		if data, _, err := fitData(img, b, total); err == nil {
			if bad := fitHashMismatch(img, data); bad != "" {
				out.BadHashes = append(out.BadHashes, FITBadHash{Image: "/images/" + img.name, Detail: bad})
			}
		}
		for _, s := range img.children {
			if !strings.HasPrefix(s.name, "signature") {
				continue
			}
			data, _, err := fitData(img, b, total)
			if err != nil {
				return nil, fmt.Errorf("FIT: %w", err)
			}
			out.Signatures = append(out.Signatures, checkFITSig(s, "/images/"+img.name+"/"+s.name, keys, true, func(h hash.Hash) error {
				h.Write(data)
				return nil
			}))
		}
	}
	if confs := root.child("configurations"); confs != nil && len(confs.children) > 0 {
		out.DefaultConfig = confs.str("default")
		if out.DefaultConfig == "" {
			out.DefaultConfig = confs.children[0].name
		}
		for _, c := range confs.children {
			for _, s := range c.children {
				if !strings.HasPrefix(s.name, "signature") {
					continue
				}
				if c.name == out.DefaultConfig {
					out.DefaultSigned = true
				}
				out.Signatures = append(out.Signatures, checkFITSig(s, "/configurations/"+c.name+"/"+s.name, keys, false, func(h hash.Hash) error {
					return hashConfig(h, b, images, c, s)
				}))
			}
		}
	}
	return out, nil
}

// checkFITSig checks one signature node; digest writes what it signs
// (dataOnly: an image's data, which cannot be wrong in itself).
func checkFITSig(s *fdtNode, path string, keys []FITKey, dataOnly bool, digest func(hash.Hash) error) FITSignature {
	r := FITSignature{Node: path, Algo: s.str("algo"), Padding: s.str("padding"), KeyNameHint: s.str("key-name-hint"),
		SignedBy: strings.TrimSpace(s.str("signer-name") + " " + s.str("signer-version")), Comment: s.str("comment")}
	alg, why := parseSigAlgo(r.Algo, r.Padding)
	if why != "" {
		r.Result, r.Reason = SigUnsupported, why
		return r
	}
	value, ok := s.props["value"]
	if !ok {
		r.Result, r.Reason = SigBad, "no value property"
		return r
	}
	var named, others []FITKey
	for _, k := range keys {
		if !alg.fits(k.Public) {
			continue
		}
		if k.Name == "" || k.Name == r.KeyNameHint {
			named = append(named, k)
		} else {
			others = append(others, k)
		}
	}
	var sum []byte
	if len(named)+len(others) > 0 || !dataOnly {
		// An image's data is hashed only when a key can use the digest; a
		// configuration's regions are read anyway, to find what is wrong
		// with them.
		h := alg.hash.New()
		if err := digest(h); err != nil {
			r.Result, r.Reason = SigBad, err.Error()
			return r
		}
		sum = h.Sum(nil)
	}
	// U-Boot tries the key the hint names first, then every other key.
	for _, k := range append(named, others...) {
		if alg.verify(k.Public, sum, value) {
			r.Result, r.Key = SigVerified, k.Source
			return r
		}
	}
	if len(named) > 0 {
		r.Result, r.Key, r.Reason = SigBad, named[0].Source, fmt.Sprintf("does not verify with the %s key", alg.crypto)
		return r
	}
	r.Result = SigNoKey
	r.Reason = fmt.Sprintf("no %s key named %q", alg.crypto, r.KeyNameHint)
	if len(others) > 0 {
		r.Reason += fmt.Sprintf(" (%d other %s keys do not verify it)", len(others), alg.crypto)
	}
	return r
}

type sigAlgo struct {
	hash   crypto.Hash
	crypto string // rsa2048 … ecdsa384
	bits   int
	pss    bool
	curve  elliptic.Curve // nil for RSA
}

// parseSigAlgo reads algo and padding; the reason when they are not
// supported.
func parseSigAlgo(algo, padding string) (sigAlgo, string) {
	hashName, cryptoName, ok := strings.Cut(algo, ",")
	if !ok {
		return sigAlgo{}, fmt.Sprintf("algo %q is not <hash>,<crypto>", algo)
	}
	var a sigAlgo
	switch hashName {
	case "sha1":
		a.hash = crypto.SHA1
	case "sha256":
		a.hash = crypto.SHA256
	case "sha384":
		a.hash = crypto.SHA384
	case "sha512":
		a.hash = crypto.SHA512
	default:
		return sigAlgo{}, fmt.Sprintf("hash %q not supported (sha1, sha256, sha384, sha512)", hashName)
	}
	a.crypto = cryptoName
	switch cryptoName {
	case "rsa2048", "rsa3072", "rsa4096":
		fmt.Sscanf(cryptoName, "rsa%d", &a.bits)
		switch padding {
		case "", "pkcs-1.5":
		case "pss":
			a.pss = true
		default:
			return sigAlgo{}, fmt.Sprintf("padding %q not supported (pkcs-1.5, pss)", padding)
		}
	case "ecdsa256":
		a.curve = elliptic.P256()
	case "ecdsa384":
		a.curve = elliptic.P384()
	default:
		return sigAlgo{}, fmt.Sprintf("crypto %q not supported (rsa2048, rsa3072, rsa4096, ecdsa256, ecdsa384)", cryptoName)
	}
	return a, ""
}

// fits says whether key is of the algorithm's kind and size.
func (a sigAlgo) fits(key crypto.PublicKey) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return a.curve == nil && k.N.BitLen() == a.bits
	case *ecdsa.PublicKey:
		return a.curve != nil && k.Curve == a.curve
	}
	return false
}

func (a sigAlgo) verify(key crypto.PublicKey, sum, sig []byte) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if a.pss {
			return rsa.VerifyPSS(k, a.hash, sum, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil
		}
		return rsa.VerifyPKCS1v15(k, a.hash, sum, sig) == nil
	case *ecdsa.PublicKey:
		n := (a.curve.Params().BitSize + 7) / 8
		if len(sig) != 2*n {
			return false
		}
		return ecdsa.Verify(k, sum, new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:]))
	}
	return false
}

// fitExcludedProps are left out of a configuration's regions: the data a
// configuration covers through the images' hashes.
var fitExcludedProps = map[string]bool{"data": true, "data-size": true, "data-position": true, "data-offset": true}

// hashConfig writes the regions a configuration signature covers.
func hashConfig(h hash.Hash, b []byte, images, conf, sig *fdtNode) error {
	inc := map[string]bool{"/": true, "/configurations/" + conf.name: true}
	for _, name := range propNames(conf) {
		for _, ref := range fdtStrings(conf.props[name]) {
			img := images.child(ref)
			if img == nil {
				continue
			}
			inc["/images/"+img.name] = true
			hashes := 0
			for _, c := range img.children {
				if strings.HasPrefix(c.name, "hash") {
					inc["/images/"+img.name+"/"+c.name] = true
					hashes++
				}
			}
			if hashes == 0 {
				return fmt.Errorf("image %s has no hash node, so the configuration cannot cover its data", img.name)
			}
			for _, c := range []string{"cipher", "dm-verity"} {
				if img.child(c) != nil {
					inc["/images/"+img.name+"/"+c] = true
				}
			}
		}
	}
	if len(inc) == 2 {
		return fmt.Errorf("configuration %s names no image", conf.name)
	}
	hdr, err := fdtRegions(b, inc, fitExcludedProps, func(start, end int64) { h.Write(b[start:end]) })
	if err != nil {
		return err
	}
	if hs, ok := sig.props["hashed-strings"]; ok {
		if len(hs) < 8 {
			return fmt.Errorf("hashed-strings is %d bytes, not 2 cells", len(hs))
		}
		size := int64(binary.BigEndian.Uint32(hs[4:]))
		if size > hdr.sizeStrings {
			return fmt.Errorf("hashed-strings claims %d bytes of a %d-byte strings block", size, hdr.sizeStrings)
		}
		h.Write(b[hdr.offStrings : hdr.offStrings+size])
	}
	return nil
}

// propNames is a node's property names, in no order: the order does not
// change which nodes are included.
func propNames(n *fdtNode) []string {
	names := make([]string, 0, len(n.props))
	for k := range n.props {
		names = append(names, k)
	}
	return names
}

// fdtStrings splits a string-list property.
func fdtStrings(v []byte) []string {
	v = bytes.TrimRight(v, "\x00")
	if len(v) == 0 {
		return nil
	}
	return strings.Split(string(v), "\x00")
}

// fdtRegions hands region the byte ranges of the structure block that the
// libfdt region finder selects for the node paths in inc: a node in inc
// with its properties (but those in exc) and its subnodes' BEGIN_NODE and
// END_NODE tokens without their properties; the BEGIN_NODE and END_NODE
// tokens of the ancestors of such nodes; an END_NODE right after an
// included token; and the END token. The END token must end the
// structure block.
func fdtRegions(b []byte, inc, exc map[string]bool, region func(start, end int64)) (fdtHeader, error) {
	var path []string
	var wants []int
	want := 0
	start, endAt := int64(-1), int64(0)
	hdr, err := fdtWalk(b, func(t fdtToken) error {
		include := false
		stop := t.at
		switch t.kind {
		case fdtProp:
			include = want >= 2 && !exc[t.name]
		case fdtNop:
			include = want >= 2
		case fdtBeginNode:
			path = append(path, t.name)
			wants = append(wants, want)
			p := "/" + strings.Join(path[1:], "/")
			switch {
			case inc[p]:
				want = 2
			case want > 0:
				want--
			}
			include = want > 0
		case fdtEndNode:
			include = want > 0
			stop = t.end
			want = wants[len(wants)-1]
			wants, path = wants[:len(wants)-1], path[:len(path)-1]
		case fdtEnd:
			endAt = t.end
			if start < 0 {
				start = t.at
			}
			region(start, t.end)
			return nil
		}
		if include && start < 0 {
			start = t.at
		}
		if !include && start >= 0 {
			region(start, stop)
			start = -1
		}
		return nil
	})
	if err == nil && endAt != hdr.offStruct+hdr.sizeStruct {
		err = fmt.Errorf("FDT: the END token ends at offset %d, not at the end of the structure block (%d)", endAt, hdr.offStruct+hdr.sizeStruct)
	}
	return hdr, err
}
