// Package services finds what an image starts at boot that an attacker can
// use: cleartext services (telnetd, ftpd, tftpd, r-services) started from
// inittab, init scripts (init.d, rc.d, rcS, procd), systemd units or inetd
// and xinetd; shells on serial consoles without a login; debug daemons
// (gdbserver, adbd); and insecure daemon settings (sshd_config, dropbear
// flags). Commented lines and lines that stop or test for a daemon are not
// starts.
package services

import (
	"fmt"
	"iter"
	"path"
	"regexp"
	"strings"

	"github.com/rampart-security/rampart/internal/findings"
	"github.com/rampart-security/rampart/internal/firmware/issue"
)

// daemon is a cleartext network service.
type daemon struct {
	service string
	port    int
}

var cleartext = map[string]daemon{
	"telnetd": {"telnet", 23}, "utelnetd": {"telnet", 23}, "in.telnetd": {"telnet", 23},
	"ftpd": {"ftp", 21}, "vsftpd": {"ftp", 21}, "in.ftpd": {"ftp", 21}, "uftpd": {"ftp", 21}, "pure-ftpd": {"ftp", 21}, "proftpd": {"ftp", 21}, "bftpd": {"ftp", 21},
	"tftpd": {"tftp", 69}, "in.tftpd": {"tftp", 69}, "udpsvd": {"", 0},
	"rlogind": {"rlogin", 513}, "in.rlogind": {"rlogin", 513}, "rshd": {"rsh", 514}, "in.rshd": {"rsh", 514}, "rexecd": {"rexec", 512}, "in.rexecd": {"rexec", 512},
}

var debugDaemons = map[string]string{
	"gdbserver": "remote debugger (gdbserver)", "adbd": "Android debug bridge (adbd)", "strace": "strace", "dbgserver": "debug server",
}

var inetdPorts = map[string]int{"telnet": 23, "ftp": 21, "tftp": 69, "login": 513, "shell": 514, "exec": 512}

// Kind of file, from its path.
func Kind(p string) string {
	base := path.Base(p)
	dir := path.Dir(p)
	switch {
	case p == "/etc/inittab":
		return "inittab"
	case p == "/etc/inetd.conf":
		return "inetd"
	case strings.HasPrefix(p, "/etc/xinetd.d/"):
		return "xinetd"
	case strings.HasSuffix(base, ".service") || strings.HasSuffix(base, ".socket"):
		if strings.Contains(p, "/systemd/") {
			return "systemd"
		}
	case base == "sshd_config":
		return "sshd_config"
	case strings.HasPrefix(p, "/etc/init.d/") || strings.HasPrefix(p, "/etc/rc.d/") || strings.HasPrefix(dir, "/etc/rc") ||
		base == "rcS" || base == "rc.local":
		return "script"
	}
	return ""
}

// checkers are the checks of each Kind.
var checkers = map[string]func(p string, data []byte) []issue.Issue{
	"inittab":     inittab,
	"inetd":       inetd,
	"xinetd":      xinetd,
	"systemd":     systemd,
	"sshd_config": sshdConfig,
	"script":      script,
}

// Check returns the issues of one boot configuration file (Kind(p) != "").
func Check(p string, data []byte) []issue.Issue {
	if check := checkers[Kind(p)]; check != nil {
		return check(p, data)
	}
	return nil
}

// statements yields the lines of a script or configuration file that say
// something (not blank, not a # or ; comment) with their line numbers.
func statements(data []byte) iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		for i, l := range strings.Split(strings.ReplaceAll(string(data), "\r", ""), "\n") {
			if !comment(l) && !yield(i+1, l) {
				return
			}
		}
	}
}

func comment(l string) bool {
	t := strings.TrimSpace(l)
	return t == "" || t[0] == '#' || t[0] == ';'
}

var segSplit = regexp.MustCompile(`&&|\|\||;|\|`)

// commands returns the command names a shell line runs, skipping those
// that stop, test or print.
func commands(line string) [][]string {
	var out [][]string
	for _, seg := range segSplit.Split(line, -1) {
		f := strings.Fields(seg)
		for len(f) > 0 {
			w := path.Base(f[0])
			switch {
			case w == "exec" || w == "nohup" || w == "busybox" || w == "service_start" || w == "then" || w == "do" || w == "else" || w == "sudo" || w == "nice":
				f = f[1:]
				continue
			case w == "procd_set_param" && len(f) > 1 && f[1] == "command":
				f = f[2:]
				continue
			case w == "start-stop-daemon":
				var cmd []string
				stop := false
				for i := 1; i < len(f); i++ {
					switch f[i] {
					case "-K", "--stop":
						stop = true
					case "-x", "--exec", "-a", "--startas":
						if i+1 < len(f) {
							cmd = f[i+1:]
						}
					}
				}
				if stop {
					f = nil
				} else {
					f = cmd
				}
			}
			break
		}
		if len(f) == 0 {
			continue
		}
		switch path.Base(f[0]) {
		case "kill", "killall", "pkill", "echo", "printf", "test", "[", "[[", "if", "elif", "while", "rm", "which", "command", "type", "grep", "ls", "chmod", "cp", "ln", "stop", "disable", "logger":
			continue
		}
		out = append(out, f)
	}
	return out
}

func startIssues(p string, lineNo int, cmd []string, via string) []issue.Issue {
	name := path.Base(strings.TrimLeft(cmd[0], "-@:+!"))
	args := strings.Join(cmd[1:], " ")
	var out []issue.Issue
	if d, ok := cleartext[name]; ok && d.service != "" {
		sev := findings.High
		detail := fmt.Sprintf("%s starts %s (%s, cleartext) at line %d", via, name, d.service, lineNo)
		if name == "telnetd" || name == "utelnetd" || name == "in.telnetd" {
			if m := regexp.MustCompile(`-l\s*(\S+)`).FindStringSubmatch(args); m != nil && isShell(m[1]) {
				sev = findings.Critical
				detail += ": -l " + m[1] + " gives a shell without a login"
			}
		}
		out = append(out, issue.Issue{Kind: issue.CleartextService, Severity: sev, Path: p, Port: d.port, Detail: detail})
	}
	if what, ok := debugDaemons[name]; ok {
		out = append(out, issue.Issue{Kind: issue.DebugInterface, Severity: findings.High, Path: p,
			Detail: fmt.Sprintf("%s starts %s at line %d", via, what, lineNo)})
	}
	if name == "dropbear" && regexp.MustCompile(`(^|\s)-[a-zA-Z]*B`).MatchString(args) {
		out = append(out, issue.Issue{Kind: issue.InsecureConfig, Severity: findings.High, Path: p, Port: 22,
			Detail: fmt.Sprintf("dropbear started with -B (blank-password logins allowed) at line %d", lineNo)})
	}
	return out
}

func isShell(s string) bool {
	switch path.Base(strings.TrimLeft(s, "-")) {
	case "sh", "ash", "bash", "dash", "hush", "msh", "zsh":
		return true
	}
	return false
}

func script(p string, data []byte) []issue.Issue {
	var out []issue.Issue
	for n, l := range statements(data) {
		for _, c := range commands(l) {
			out = append(out, startIssues(p, n, c, "init script")...)
		}
	}
	return out
}

// inittab: id:runlevels:action:process (BusyBox and System V).
func inittab(p string, data []byte) []issue.Issue {
	var out []issue.Issue
	for n, l := range statements(data) {
		f := strings.SplitN(l, ":", 4)
		if len(f) < 4 {
			continue
		}
		id, action, process := f[0], f[2], strings.TrimSpace(f[3])
		if action == "off" || action == "shutdown" || action == "ctrlaltdel" || action == "restart" {
			continue
		}
		cmd := strings.Fields(process)
		if len(cmd) == 0 {
			continue
		}
		out = append(out, startIssues(p, n, cmd, "inittab")...)
		// A shell (or login -f root) on a console without authentication.
		shell := isShell(cmd[0]) || (path.Base(cmd[0]) == "login" && strings.Contains(process, "-f root"))
		if path.Base(cmd[0]) == "getty" || path.Base(cmd[0]) == "agetty" {
			shell = strings.Contains(process, "-n -l /bin/sh") || regexp.MustCompile(`-l\s+\S*/(a|ba|da)?sh\b`).MatchString(process) || strings.Contains(process, "--autologin root") || strings.Contains(process, "-a root")
		}
		if shell && (action == "respawn" || action == "askfirst" || action == "once" || action == "wait" || action == "sysinit") {
			tty := id
			if tty == "" || tty == "::" {
				tty = "console"
			}
			out = append(out, issue.Issue{Kind: issue.DebugInterface, Severity: findings.High, Path: p, Account: "root",
				Detail: fmt.Sprintf("inittab line %d: %s runs %q on %s without a login (root shell on the serial console)", n, action, process, tty)})
		}
	}
	return out
}

func inetd(p string, data []byte) []issue.Issue {
	var out []issue.Issue
	for n, l := range statements(data) {
		f := strings.Fields(l)
		if len(f) < 6 {
			continue
		}
		svc := f[0]
		server := f[5:]
		// "internal" services and tcpd wrappers: the real daemon is the next field
		if path.Base(server[0]) == "tcpd" && len(server) > 1 {
			server = server[1:]
		}
		iss := startIssues(p, n, server, "inetd")
		if len(iss) == 0 {
			if port, ok := inetdPorts[svc]; ok {
				iss = append(iss, issue.Issue{Kind: issue.CleartextService, Severity: findings.High, Path: p, Port: port,
					Detail: fmt.Sprintf("inetd serves %s (cleartext) at line %d", svc, n)})
			}
		}
		out = append(out, iss...)
	}
	return out
}

func xinetd(p string, data []byte) []issue.Issue {
	s := string(data)
	disabled := regexp.MustCompile(`(?m)^\s*disable\s*=\s*yes`).MatchString(s)
	if disabled {
		return nil
	}
	m := regexp.MustCompile(`(?m)^\s*server\s*=\s*(\S+)`).FindStringSubmatch(s)
	if m == nil {
		return nil
	}
	return startIssues(p, 0, []string{m[1]}, "xinetd")
}

func systemd(p string, data []byte) []issue.Issue {
	var out []issue.Issue
	for n, l := range statements(data) {
		t := strings.TrimSpace(l)
		if v, ok := strings.CutPrefix(t, "ExecStart="); ok {
			cmd := strings.Fields(v)
			if len(cmd) == 0 {
				continue
			}
			out = append(out, startIssues(p, n, cmd, "systemd unit")...)
			if b := path.Base(strings.TrimLeft(cmd[0], "-@:+!")); (b == "agetty" || b == "getty") && (strings.Contains(v, "--autologin root") || strings.Contains(v, "-a root")) {
				out = append(out, issue.Issue{Kind: issue.DebugInterface, Severity: findings.High, Path: p, Account: "root",
					Detail: fmt.Sprintf("systemd unit line %d logs root in on a console without a password (%s)", n, v)})
			}
		}
		if v, ok := strings.CutPrefix(t, "ListenStream="); ok && strings.HasPrefix(path.Base(p), "telnet") {
			out = append(out, issue.Issue{Kind: issue.CleartextService, Severity: findings.High, Path: p, Port: 23,
				Detail: fmt.Sprintf("systemd socket listens for telnet on %s", v)})
		}
	}
	return out
}

func sshdConfig(p string, data []byte) []issue.Issue {
	var out []issue.Issue
	for n, l := range statements(data) {
		f := strings.Fields(strings.ToLower(l))
		if len(f) < 2 {
			continue
		}
		switch {
		case f[0] == "permitemptypasswords" && f[1] == "yes":
			out = append(out, issue.Issue{Kind: issue.InsecureConfig, Severity: findings.High, Path: p, Port: 22,
				Detail: fmt.Sprintf("line %d: PermitEmptyPasswords yes", n)})
		case f[0] == "permitrootlogin" && f[1] == "yes":
			out = append(out, issue.Issue{Kind: issue.InsecureConfig, Severity: findings.Medium, Path: p, Port: 22, Account: "root",
				Detail: fmt.Sprintf("line %d: PermitRootLogin yes (root may log in with a password)", n)})
		}
	}
	return out
}
