package firmware

import (
	"fmt"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/firmware/issue"
	"github.com/rampart-security/rampart/internal/firmware/unpack"
)

// FITImage is the signature check of one U-Boot FIT image: where it was
// found (as a layer: the file holding it, "" for the image itself, and
// the offset in it), its default configuration and every signature-N node.
type FITImage struct {
	Path   string `json:"path"`
	Offset int64  `json:"offset"`
	unpack.FITSignatures
}

// checkFITs checks the signatures of every FIT layer with the given keys
// and those of the device trees with /signature nodes anywhere in the
// image (a U-Boot binary's control FDT); it adds an unsigned_fit_config
// issue for a FIT whose default configuration is not signed, a
// fit_hash_mismatch issue per image whose data fails its hash-N node, a
// bad_fit_signature issue per signature that does not verify, and a
// warning per signature that could not be checked.
func checkFITs(res *Result, up *unpack.Result, image []byte, given []unpack.FITKey) {
	var keys []unpack.FITKey
	keysFound := false
	for _, l := range up.Layers {
		if l.Type != "fit" || l.Duplicate {
			continue
		}
		data := layerBytes(up, image, l)
		if data == nil {
			continue
		}
		sigs, err := unpack.CheckFITSignatures(data, nil)
		if err != nil {
			continue // it unpacked, so this does not happen; nothing to report
		}
		if len(sigs.Signatures) > 0 {
			if !keysFound {
				keys = append(append(keys, given...), imageFITKeys(up, res.Image, image)...)
				keysFound = true
			}
			sigs, _ = unpack.CheckFITSignatures(data, keys)
		}
		res.FIT = append(res.FIT, FITImage{Path: l.Path, Offset: l.Offset, FITSignatures: *sigs})
		where := fmt.Sprintf("FIT image at offset %d", l.Offset)
		prefix := ""
		if l.Path != "" {
			where += " of " + l.Path
			prefix = l.Path + "!"
		}
		if !sigs.DefaultSigned {
			conf := "/configurations"
			detail := where + " has no configuration: U-Boot boots its images without verifying a signature"
			if sigs.DefaultConfig != "" {
				conf += "/" + sigs.DefaultConfig
				detail = fmt.Sprintf("%s: the default configuration %s has no signature-N node: U-Boot boots it without verifying a signature (sign the configuration, as U-Boot's doc/usage/fit/signature.rst recommends)", where, sigs.DefaultConfig)
			}
			res.Issues = append(res.Issues, Issue{Kind: issue.UnsignedFITConfig, Severity: findings.Medium, Path: prefix + conf, Detail: detail})
		}
		for _, h := range sigs.BadHashes {
			detail := fmt.Sprintf("%s: image %s does not match its hash-N node (%s): it was corrupted or changed after mkimage, and U-Boot refuses to boot it", where, h.Image, h.Detail)
			if sigs.DefaultSigned {
				detail += " (a configuration signature signs the hash values, not the data, so it still verifies)"
			}
			res.Issues = append(res.Issues, Issue{Kind: issue.FITHashMismatch, Severity: findings.High, Path: prefix + h.Image, Detail: detail})
		}
		for _, s := range sigs.Signatures {
			what := fmt.Sprintf("%s: signature %s (%s, key-name-hint %q)", where, s.Node, s.Algo, s.KeyNameHint)
			switch s.Result {
			case unpack.SigBad:
				detail := what + " does not verify: " + s.Reason
				if s.Key != "" {
					detail += " (" + s.Key + ")"
				}
				res.Issues = append(res.Issues, Issue{Kind: issue.BadFITSignature, Severity: findings.High, Path: prefix + s.Node, Detail: detail})
			case unpack.SigNoKey:
				res.Warnings = append(res.Warnings, what+" not verified: "+s.Reason+" given (--fit-key) or found in the image's U-Boot control device trees")
			case unpack.SigUnsupported:
				res.Warnings = append(res.Warnings, what+" not verified: "+s.Reason)
			}
		}
	}
}

// layerBytes is the blob a layer starts at: the image itself, or the file
// or blob it was found in; nil when neither holds it.
func layerBytes(up *unpack.Result, image []byte, l unpack.Layer) []byte {
	data := image
	if l.Path != "" {
		data = nil
		for _, f := range up.Files {
			if f.Path == l.Path && (f.Kind == unpack.KindFile || f.Kind == unpack.KindBlob) {
				data = f.Data
				break
			}
		}
	}
	if l.Offset < 0 || l.Offset >= int64(len(data)) {
		return nil
	}
	return data[l.Offset:]
}

// imageFITKeys are the keys of the control device trees in the files and
// blobs of the image (each content once), then in the image itself (a
// flash dump with U-Boot at its start), named so.
func imageFITKeys(up *unpack.Result, name string, image []byte) []unpack.FITKey {
	var keys []unpack.FITKey
	seen := map[string]bool{}
	for _, f := range up.Files {
		if (f.Kind != unpack.KindFile && f.Kind != unpack.KindBlob) || seen[f.SHA256] {
			continue
		}
		seen[f.SHA256] = true
		keys = append(keys, unpack.EmbeddedFITKeys(f.Path, f.Data)...)
	}
	return append(keys, unpack.EmbeddedFITKeys(name, image)...)
}
