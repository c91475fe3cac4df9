// Package permissions flags risky file modes in an image: setuid/setgid
// executables owned by root, world-writable files and world-writable
// directories without the sticky bit. Symlinks (always 0777) and sticky
// directories (/tmp) are not issues.
package permissions

import (
	"fmt"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/firmware/issue"
)

// Entry is what Check needs to know about a file.
type Entry struct {
	Path string
	Dir  bool
	File bool // a regular file
	Mode uint32
	UID  int
	GID  int
}

// Check returns the issue of one entry, if any.
func Check(e Entry) []issue.Issue {
	var out []issue.Issue
	switch {
	case e.File:
		if e.Mode&0o4000 != 0 && e.UID == 0 {
			out = append(out, issue.Issue{Kind: issue.SetuidRoot, Severity: findings.Medium, Path: e.Path, Account: "root",
				Detail: fmt.Sprintf("setuid root (mode %04o): runs as root for any user", e.Mode)})
		} else if e.Mode&0o2000 != 0 && e.Mode&0o010 != 0 && e.GID == 0 {
			out = append(out, issue.Issue{Kind: issue.SetuidRoot, Severity: findings.Low, Path: e.Path,
				Detail: fmt.Sprintf("setgid root group (mode %04o)", e.Mode)})
		}
		if e.Mode&0o002 != 0 {
			out = append(out, issue.Issue{Kind: issue.WorldWritableFile, Severity: findings.Medium, Path: e.Path,
				Detail: fmt.Sprintf("world-writable file (mode %04o): any user can change it", e.Mode)})
		}
	case e.Dir:
		if e.Mode&0o002 != 0 && e.Mode&0o1000 == 0 {
			out = append(out, issue.Issue{Kind: issue.WorldWritableDir, Severity: findings.Medium, Path: e.Path,
				Detail: fmt.Sprintf("world-writable directory without the sticky bit (mode %04o): any user can replace its files", e.Mode)})
		}
	}
	return out
}
