#!/bin/sh
# Builds a ~40 MB router-like firmware image (TRX: uImage kernel + xz squashfs
# rootfs of real ELF binaries and libraries from this host, plus the
# firmware test rootfs) and times `rampart firmware analyze` against plain
# extraction with unsquashfs. Needs squashfs-tools, u-boot-tools, GNU time.
# Usage: sh bench/firmware.sh [workdir]
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/rampart-fw-bench}
mkdir -p "$work"
R=$work/rootfs
rm -rf "$R" && mkdir -p "$R/bin" "$R/lib" "$R/usr/sbin"
# ~110 MB of real ELF files (executables under 2 MB from /usr/bin, shared
# libraries under 4 MB), which gzip squashfs packs into ~40 MB.
find /usr/bin -maxdepth 1 -type f -size -2M | sort | head -700 | xargs cp -t "$R/bin/" 2>/dev/null || true
find /usr/lib/x86_64-linux-gnu -maxdepth 1 -name '*.so*' -type f -size -4M | sort | head -250 | xargs cp -t "$R/lib/" 2>/dev/null || true
du -sh "$R"
unsquashfs -q -n -f -d "$work/fixture" "$repo/internal/firmware/testdata/rootfs.sqsh" >/dev/null
cp -a "$work/fixture/." "$R/"
rm -f "$work/rootfs.sqsh" && mksquashfs "$R" "$work/rootfs.sqsh" -comp gzip -noappend -quiet -no-progress >/dev/null
# kernel: 3 MB of pseudo-random bytes with a banner, gzip, in a uImage
( head -c 3000000 /dev/urandom; printf 'Linux version 5.10.161 (builder@buildhost) (mipsel-openwrt-linux-musl-gcc 12.3.0) #0 SMP\n' ) | gzip -1 > "$work/kernel.gz"
mkimage -A mips -O linux -T kernel -C gzip -a 0x80000000 -e 0x80000000 -n "Linux-5.10.161" -d "$work/kernel.gz" "$work/kernel.uimg" >/dev/null
# TRX v1 around both (Go writes it: no trx tool in Debian)
cat > "$work/trx.go" <<'G'
package main

import (
	"encoding/binary"
	"hash/crc32"
	"os"
)

func main() {
	k, _ := os.ReadFile(os.Args[1])
	r, _ := os.ReadFile(os.Args[2])
	h := make([]byte, 28)
	copy(h, "HDR0")
	ko := uint32(28)
	ro := (ko + uint32(len(k)) + 3) &^ 3
	body := make([]byte, int(ro)-28+len(r))
	copy(body, k)
	copy(body[ro-28:], r)
	binary.LittleEndian.PutUint32(h[4:], uint32(28+len(body)))
	binary.LittleEndian.PutUint32(h[12:], 1<<16)
	binary.LittleEndian.PutUint32(h[16:], ko)
	binary.LittleEndian.PutUint32(h[20:], ro)
	out := append(h, body...)
	binary.LittleEndian.PutUint32(out[8:], crc32.ChecksumIEEE(out[12:]))
	os.WriteFile(os.Args[3], out, 0o644)
}
G
(cd "$repo" && go run "$work/trx.go" "$work/kernel.uimg" "$work/rootfs.sqsh" "$work/router.trx")
(cd "$repo" && CGO_ENABLED=0 go build -o "$work/rampart" ./cmd/rampart)
ls -l "$work/router.trx"
echo "== rampart firmware analyze"
/usr/bin/time -f "wall %e s, max RSS %M KB" "$work/rampart" firmware analyze "$work/router.trx" --format json > "$work/result.json"
echo "== unsquashfs (plain extraction of the rootfs only)"
rm -rf "$work/x"
/usr/bin/time -f "wall %e s, max RSS %M KB" unsquashfs -q -n -d "$work/x" "$work/rootfs.sqsh" >/dev/null
python3 -c "import json;r=json.load(open('$work/result.json'));print('layers',[(l['type'],l['offset']) for l in r['layers']],'files',r['counts'],'issues',len(r['issues']),'components',len(r['components']))"
