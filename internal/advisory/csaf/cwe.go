package csaf

// cweNames holds the names of the weaknesses most often seen in advisories
// (CWE Top 25 and firmware-typical ones), as the CWE list (v4.x) names them.
// Test 6.1.11 checks id and name against it; an id not in this table is not
// reported (the full catalogue is not bundled).
var cweNames = map[string]string{
	"CWE-20":  "Improper Input Validation",
	"CWE-22":  "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')",
	"CWE-77":  "Improper Neutralization of Special Elements used in a Command ('Command Injection')",
	"CWE-78":  "Improper Neutralization of Special Elements used in an OS Command ('OS Command Injection')",
	"CWE-79":  "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')",
	"CWE-89":  "Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')",
	"CWE-94":  "Improper Control of Generation of Code ('Code Injection')",
	"CWE-119": "Improper Restriction of Operations within the Bounds of a Memory Buffer",
	"CWE-120": "Buffer Copy without Checking Size of Input ('Classic Buffer Overflow')",
	"CWE-121": "Stack-based Buffer Overflow",
	"CWE-122": "Heap-based Buffer Overflow",
	"CWE-125": "Out-of-bounds Read",
	"CWE-190": "Integer Overflow or Wraparound",
	"CWE-200": "Exposure of Sensitive Information to an Unauthorized Actor",
	"CWE-269": "Improper Privilege Management",
	"CWE-276": "Incorrect Default Permissions",
	"CWE-287": "Improper Authentication",
	"CWE-295": "Improper Certificate Validation",
	"CWE-306": "Missing Authentication for Critical Function",
	"CWE-319": "Cleartext Transmission of Sensitive Information",
	"CWE-327": "Use of a Broken or Risky Cryptographic Algorithm",
	"CWE-352": "Cross-Site Request Forgery (CSRF)",
	"CWE-354": "Improper Validation of Integrity Check Value",
	"CWE-843": "Access of Resource Using Incompatible Type ('Type Confusion')",
	"CWE-400": "Uncontrolled Resource Consumption",
	"CWE-416": "Use After Free",
	"CWE-434": "Unrestricted Upload of File with Dangerous Type",
	"CWE-476": "NULL Pointer Dereference",
	"CWE-502": "Deserialization of Untrusted Data",
	"CWE-787": "Out-of-bounds Write",
	"CWE-798": "Use of Hard-coded Credentials",
	"CWE-862": "Missing Authorization",
	"CWE-863": "Incorrect Authorization",
	"CWE-918": "Server-Side Request Forgery (SSRF)",
}

// CWEName returns the name of a CWE id from the bundled table.
func CWEName(id string) (string, bool) {
	n, ok := cweNames[id]
	return n, ok
}
