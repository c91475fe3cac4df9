package services

import (
	"strings"
	"testing"
)

func summary(p, data string) string {
	var out []string
	for _, i := range Check(p, []byte(data)) {
		out = append(out, string(i.Kind)+":"+string(i.Severity))
	}
	return strings.Join(out, ",")
}

func TestServices(t *testing.T) {
	for _, c := range []struct{ name, path, data, want string }{
		{"busybox inittab shell on serial", "/etc/inittab", "ttyS0::respawn:/bin/sh\n", "debug_interface:high"},
		{"askfirst shell", "/etc/inittab", "::askfirst:-/bin/ash\n", "debug_interface:high"},
		{"getty with login is fine", "/etc/inittab", "ttyS0::respawn:/sbin/getty -L ttyS0 115200 vt100\n", ""},
		{"getty -n -l /bin/sh", "/etc/inittab", "ttyS0::respawn:/sbin/getty -n -l /bin/sh -L ttyS0 115200\n", "debug_interface:high"},
		{"sysv inittab telnetd", "/etc/inittab", "t1:2345:respawn:/usr/sbin/telnetd -F\n", "cleartext_service:high"},
		{"commented", "/etc/inittab", "#::respawn:/usr/sbin/telnetd -F\n", ""},
		{"shutdown action", "/etc/inittab", "::shutdown:/bin/sh /etc/stop\n", ""},
		{"rcS telnetd", "/etc/init.d/rcS", "telnetd &\n", "cleartext_service:high"},
		{"busybox telnetd -l sh", "/etc/init.d/rcS", "busybox telnetd -l /bin/sh\n", "cleartext_service:critical"},
		{"killall is a stop", "/etc/init.d/rcS", "killall telnetd\n", ""},
		{"test is no start", "/etc/init.d/rcS", "[ -x /usr/sbin/telnetd ] || exit 0\n", ""},
		{"test then start", "/etc/init.d/rcS", "[ -x /usr/sbin/telnetd ] && /usr/sbin/telnetd\n", "cleartext_service:high"},
		{"echo mention", "/etc/init.d/S50x", "echo telnetd is off\n", ""},
		{"procd", "/etc/init.d/telnet", "\tprocd_set_param command /usr/sbin/telnetd -F -l /bin/login.sh\n", "cleartext_service:high"},
		{"start-stop-daemon start", "/etc/init.d/ftp", "start-stop-daemon -S -x /usr/sbin/vsftpd\n", "cleartext_service:high"},
		{"start-stop-daemon stop", "/etc/init.d/ftp", "start-stop-daemon -K -x /usr/sbin/vsftpd\n", ""},
		{"gdbserver", "/etc/rc.local", "gdbserver :2345 /bin/app &\n", "debug_interface:high"},
		{"dropbear -B", "/etc/init.d/dropbear", "dropbear -p 22 -B\n", "insecure_config:high"},
		{"dropbear fine", "/etc/init.d/dropbear", "dropbear -p 22 -s -g\n", ""},
		{"inetd telnet", "/etc/inetd.conf", "telnet stream tcp nowait root /usr/sbin/tcpd in.telnetd\n", "cleartext_service:high"},
		{"inetd commented", "/etc/inetd.conf", "#telnet stream tcp nowait root /usr/sbin/telnetd telnetd\n", ""},
		{"xinetd enabled", "/etc/xinetd.d/telnet", "service telnet\n{\n disable = no\n server = /usr/sbin/in.telnetd\n}\n", "cleartext_service:high"},
		{"xinetd disabled", "/etc/xinetd.d/telnet", "service telnet\n{\n disable = yes\n server = /usr/sbin/in.telnetd\n}\n", ""},
		{"systemd unit", "/lib/systemd/system/telnetd.service", "[Service]\nExecStart=/usr/sbin/telnetd -F\n", "cleartext_service:high"},
		{"systemd socket", "/lib/systemd/system/telnet.socket", "[Socket]\nListenStream=23\n", "cleartext_service:high"},
		{"systemd autologin", "/etc/systemd/system/serial-getty@.service", "[Service]\nExecStart=-/sbin/agetty --autologin root -8 %I 115200\n", "debug_interface:high"},
		{"sshd empty pw", "/etc/ssh/sshd_config", "PermitEmptyPasswords yes\n", "insecure_config:high"},
		{"sshd commented", "/etc/ssh/sshd_config", "#PermitRootLogin yes\nPermitRootLogin prohibit-password\n", ""},
		{"not a boot file", "/usr/share/doc/telnetd.txt", "telnetd\n", ""},
	} {
		if got := summary(c.path, c.data); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func FuzzCheck(f *testing.F) {
	f.Add("/etc/inittab", []byte("ttyS0::respawn:/bin/sh\n"))
	f.Add("/etc/init.d/rcS", []byte("start-stop-daemon -S -x telnetd -- -l /bin/sh\n"))
	f.Add("/etc/inetd.conf", []byte("telnet stream tcp nowait root /usr/sbin/tcpd\n"))
	f.Add("/etc/xinetd.d/x", []byte("server = /usr/sbin/in.telnetd"))
	f.Fuzz(func(t *testing.T, p string, b []byte) {
		if len(b) > 8192 {
			return
		}
		Check(p, b)
	})
}
