package permissions

import "testing"

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		e    Entry
		want string
	}{
		{"setuid root", Entry{Path: "/bin/su", File: true, Mode: 0o4755}, "setuid_root"},
		{"setuid non-root", Entry{Path: "/bin/x", File: true, Mode: 0o4755, UID: 1000}, ""},
		{"setgid root group", Entry{Path: "/bin/wall", File: true, Mode: 0o2755}, "setuid_root"},
		{"world-writable file", Entry{Path: "/etc/x", File: true, Mode: 0o666}, "world_writable_file"},
		{"world-writable dir", Entry{Path: "/var/x", Dir: true, Mode: 0o777}, "world_writable_dir"},
		{"sticky /tmp", Entry{Path: "/tmp", Dir: true, Mode: 0o1777}, ""},
		{"symlink 0777", Entry{Path: "/bin/sh", Mode: 0o777}, ""},
		{"normal file", Entry{Path: "/etc/passwd", File: true, Mode: 0o644}, ""},
	} {
		is := Check(c.e)
		got := ""
		if len(is) > 0 {
			got = string(is[0].Kind)
		}
		if got != c.want || len(is) > 1 {
			t.Errorf("%s: %+v, want %s", c.name, is, c.want)
		}
	}
}
