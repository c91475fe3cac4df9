package unpack

import "testing"

// TestErofs reads the images gen.sh makes with mkfs.erofs from the cramfs
// tree: compact inodes with flat and tail-packed (inline) data, and
// extended inodes with chunk indexes and a hole; every entry kind, owners,
// modes (the setuid /bin/su) and contents.
func TestErofs(t *testing.T) {
	for _, file := range []string{"plain.erofs", "chunked.erofs"} {
		t.Run(file, func(t *testing.T) {
			checkGenImage(t, file, "erofs", "block size 4096", true)
		})
	}
}
