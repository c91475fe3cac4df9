// Package issue holds the kinds of security issue firmware analysis reports
// and their JSON form, shared by the analysers under internal/firmware.
package issue

import "github.com/rampart-security/rampart/internal/findings"

// Kind names a class of issue. The values are the JSON contract of
// `rampart firmware analyze`.
type Kind string

// Issue kinds.
const (
	DefaultPassword     Kind = "default_password"
	EmptyPassword       Kind = "empty_password"
	UID0Account         Kind = "uid0_account"
	HardcodedCredential Kind = "hardcoded_credential"
	HardcodedAPIToken   Kind = "hardcoded_api_token"
	PrivateKey          Kind = "private_key"
	Certificate         Kind = "certificate"
	AuthorizedKeys      Kind = "authorized_keys"
	CleartextService    Kind = "cleartext_service"
	DebugInterface      Kind = "debug_interface"
	WorldWritableFile   Kind = "world_writable_file"
	WorldWritableDir    Kind = "world_writable_dir"
	SetuidRoot          Kind = "setuid_root"
	InsecureConfig      Kind = "insecure_config"
	// UnsignedFITConfig: a U-Boot FIT image whose default configuration
	// has no signature-N node, so U-Boot boots it unverified.
	UnsignedFITConfig Kind = "unsigned_fit_config"
	// BadFITSignature: a signature-N node of a FIT image that does not
	// verify with the key it names.
	BadFITSignature Kind = "bad_fit_signature"
	// FITHashMismatch: an image of a FIT image whose data does not match
	// its hash-N node (U-Boot refuses to boot it).
	FITHashMismatch Kind = "fit_hash_mismatch"
)

// Kinds lists every kind found in the files of a filesystem, in the order
// of the contract; BootKinds lists those of the boot images.
var Kinds = []Kind{DefaultPassword, EmptyPassword, UID0Account, HardcodedCredential, HardcodedAPIToken, PrivateKey,
	Certificate, AuthorizedKeys, CleartextService, DebugInterface, WorldWritableFile, WorldWritableDir, SetuidRoot, InsecureConfig}

// BootKinds lists the kinds found in boot images (U-Boot FIT).
var BootKinds = []Kind{UnsignedFITConfig, BadFITSignature, FITHashMismatch}

// Issue is one problem found in an image.
type Issue struct {
	Kind     Kind              `json:"kind"`
	Severity findings.Severity `json:"severity"`
	Path     string            `json:"path"`
	Account  string            `json:"account"`
	Port     int               `json:"port"`
	Detail   string            `json:"detail"`
}
