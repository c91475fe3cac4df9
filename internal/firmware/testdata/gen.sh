#!/bin/sh
# Regenerates the firmware fixtures in this folder. Needs (Debian):
#   apt-get install squashfs-tools e2fsprogs cpio u-boot-tools gcc openssl util-linux mtd-utils \
#     zip device-tree-compiler android-sdk-libsparse-utils xz-utils erofs-utils p7zip-full attr \
#     mkbootimg lz4
# The outputs are committed, so tests and CI need none of these tools.
# Run from this folder: sh gen.sh
set -eu
here=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
R=$work/rootfs
mkdir -p $R/etc/init.d $R/etc/ssh $R/etc/ssl/private $R/etc/ssl/certs $R/etc/lighttpd $R/etc/config \
  $R/root/.ssh $R/bin $R/sbin $R/usr/bin $R/usr/sbin $R/usr/lib/opkg $R/lib/modules/5.10.161 $R/tmp $R/var/shared $R/www

# --- accounts: root/admin (md5crypt), admin/1234 (DES), support/support (sha512), toor uid 0,
# guest empty with a shell; traps: daemon empty but /bin/false, ftp locked "!", nobody "*", backup "!$1$..."
cat > $R/etc/passwd <<P
root:x:0:0:root:/root:/bin/ash
admin:x:1000:1000:admin:/home/admin:/bin/sh
support:x:1001:1001::/home/support:/bin/sh
toor:x:0:0::/root:/bin/sh
guest:x:1002:1002::/tmp:/bin/sh
daemon:x:1:1:daemon:/var:/bin/false
ftp:x:55:55:ftp:/home/ftp:/bin/false
nobody:*:65534:65534:nobody:/var:/bin/false
backup:x:34:34:backup:/var/backups:/bin/sh
operator:x:37:37::/:/bin/sh
P
cat > $R/etc/shadow <<S
root:$(openssl passwd -1 -salt Rt4mPa5s admin):19000:0:99999:7:::
admin:$(perl -e 'print crypt("1234","aB")'):19000:0:99999:7:::
support:$(openssl passwd -6 -salt sUpP0rtS support):19000:0:99999:7:::
toor:$(openssl passwd -5 -salt t0orSalt 'Xk9#long-unguessable-Pw'):19000:0:99999:7:::
guest::19000:0:99999:7:::
daemon::19000:0:99999:7:::
ftp:!:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
backup:!$(openssl passwd -1 -salt lockedSa admin):19000:0:99999:7:::
operator:$(openssl passwd -6 -salt opErAtor 'correct horse battery staple'):19000:0:99999:7:::
S

# --- services
cat > $R/etc/inittab <<'I'
::sysinit:/etc/init.d/rcS
ttyS0::respawn:/bin/sh
tty1::respawn:/sbin/getty -L tty1 115200 vt100
#::respawn:/usr/sbin/telnetd -F
::shutdown:/bin/umount -a -r
I
cat > $R/etc/init.d/rcS <<'I'
#!/bin/sh
# start telnetd for the factory
/usr/sbin/telnetd -l /bin/sh
killall telnetd 2>/dev/null
[ -x /usr/sbin/tftpd ] && echo "tftpd present"
echo "telnetd disabled"
/usr/bin/gdbserver :1234 /usr/bin/app &
dropbear -B -p 22
I
chmod 755 $R/etc/init.d/rcS
cat > $R/etc/inetd.conf <<'I'
ftp	stream	tcp	nowait	root	/usr/sbin/ftpd	ftpd -w /srv
#telnet	stream	tcp	nowait	root	/usr/sbin/telnetd	telnetd
I
cat > $R/etc/ssh/sshd_config <<'I'
# PermitEmptyPasswords yes
PermitRootLogin yes
PasswordAuthentication yes
I

# --- secrets
openssl genrsa -traditional -out $R/etc/ssl/private/server.key 1024 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out $R/etc/ssl/private/ec.key 2>/dev/null
openssl genpkey -algorithm ed25519 -out $R/etc/ssl/private/ed25519.pem 2>/dev/null
ssh-keygen -q -t ed25519 -N '' -C device -f $work/id >/dev/null 2>&1 && cp $work/id $R/etc/ssl/private/id_ed25519 && cp $work/id.pub $R/root/.ssh/authorized_keys || true
openssl req -x509 -newkey rsa:2048 -nodes -keyout $work/ca.key -subj /CN=Trusted-Root-CA -days 3650 \
  -addext basicConstraints=critical,CA:TRUE -out $R/etc/ssl/certs/root-ca.pem 2>/dev/null
openssl req -x509 -key $R/etc/ssl/private/server.key -subj /CN=router.local -days 1 -not_before 20200101000000Z -not_after 20200102000000Z \
  -out $R/etc/lighttpd/server.pem 2>/dev/null || openssl req -x509 -key $R/etc/ssl/private/server.key -subj /CN=router.local -days 1 -out $R/etc/lighttpd/server.pem
cat > $R/etc/config/cloud.conf <<'C'
# cloud upload
aws_access_key_id = AKIAZ7Q3XN4T6LWBR2PK
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8w4vT9Lm
example_key = AKIAIOSFODNN7EXAMPLE
C
cat > $R/etc/app.conf <<'C'
# app settings
admin_password=Sup3rS3cret!
password=$PASS
password=
password = ${ADMIN_PW}
#password=commented-out-secret
C
# a binary holding PEM header strings (format strings), not keys: must not be flagged
printf '\177ELF-not-really\000-----BEGIN RSA PRIVATE KEY-----\n%%s\n-----END RSA PRIVATE KEY-----\n\000' > $R/usr/bin/pemtool

# --- components
cat > $R/usr/lib/opkg/status <<'O'
Package: busybox
Version: 1.36.1-1
Status: install user installed
Architecture: mips_24kc

Package: dropbear
Version: 2022.82-5
Status: install ok installed

Package: removed-pkg
Version: 1.0-1
Status: deinstall ok not-installed
O
printf 'vermagic=5.10.161 SMP mod_unload MIPS32_R2 32BIT \000license=GPL\000' > $R/lib/modules/5.10.161/dummy.ko

# --- ELF binaries (x86-64, gcc): hardened and not
cat > $work/bb.c <<'C'
#include <stdio.h>
#include <string.h>
const char banner[] = "BusyBox v1.36.1 (2023-06-01 12:00:00 UTC) multi-call binary.";
int main(int argc, char **argv) { char buf[32]; strcpy(buf, argc > 1 ? argv[1] : banner); sprintf(buf + 1, "%s", argv[0]); puts(buf); return 0; }
C
gcc -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE -pie -Wl,-z,relro,-z,now -o $R/bin/busybox $work/bb.c
strip $R/bin/busybox
cat > $work/weak.c <<'C'
#include <stdio.h>
const char ver[] = "dropbear_2022.82";
int main(void) { puts(ver); return 0; }
C
gcc -O0 -fno-stack-protector -no-pie -Wl,-z,norelro -z execstack -o $R/usr/sbin/dropbear $work/weak.c
gcc -O0 -fno-stack-protector -fPIE -pie -Wl,-z,relro -o $R/usr/bin/partial $work/weak.c
cp $R/bin/busybox $R/usr/bin/busybox-copy   # identical content: checked once

# --- permissions: setuid root (flagged), setuid non-root (trap), world-writable file and dir,
# sticky /tmp (trap), symlink (trap)
cp $R/usr/bin/partial $R/usr/bin/suid-root && chmod 4755 $R/usr/bin/suid-root
cp $R/usr/bin/partial $R/usr/bin/suid-user && chmod 4755 $R/usr/bin/suid-user
echo "x" > $R/www/index.html && chmod 666 $R/www/index.html
chmod 777 $R/var/shared
chmod 1777 $R/tmp
ln -s /etc/passwd $R/www/passwd-link
ln -s ../../../../../../etc/shadow $R/www/escape-link

SQ="-noappend -all-time 1700000000 -quiet -no-progress"
# rootfs as gzip squashfs; suid-user owned by uid 1000; a device node from a pseudo definition
chown 1000:1000 $R/usr/bin/suid-user && chmod 4755 $R/usr/bin/suid-user
mksquashfs $R $here/rootfs.sqsh $SQ -comp gzip -p "dev d 755 0 0" -p "dev/console c 600 0 0 5 1" >/dev/null

# a small tree in every squashfs compression
S=$work/small
mkdir -p $S/etc && echo "small" > $S/etc/hello && cp $R/etc/passwd $S/etc/passwd
for c in xz lzo lz4 zstd; do
  mksquashfs $S $here/small-$c.sqsh $SQ -comp $c -all-root >/dev/null
done

# ext2 and ext4 (gzip-compressed on disk to keep the repository small)
# ext2/ext3 and ext4 without metadata_csum are read by the built-in reader; big.txt
# (100 KB) needs indirect blocks with 1 KiB blocks.
E=$work/ext
cp -a $S $E && seq -f "%07g" 1 12500 > $E/big.txt && ln -s etc/passwd $E/passwd-link
for t in ext2 ext3 ext4 ext4-nocsum; do
  rm -f $work/$t.img
  case $t in
    ext4-nocsum) mke2fs -q -t ext4 -O ^metadata_csum,^64bit -d $E -b 1024 -N 64 -E root_owner=0:0 $work/$t.img 512k ;;
    ext3) mke2fs -q -t ext3 -d $E -b 1024 -N 64 -E root_owner=0:0 $work/$t.img 4m ;;
    *) mke2fs -q -t $t -d $E -b 1024 -N 64 -E root_owner=0:0 $work/$t.img 512k ;;
  esac
  gzip -9n < $work/$t.img > $here/small-$t.img.gz
done

# cpio newc + gzip, and a uImage holding it (a ramdisk)
(cd $S && find . | sort | cpio -o -H newc --quiet -R 0:0) | gzip -9n > $here/small.cpio.gz
mkimage -A mips -O linux -T ramdisk -C gzip -n "test ramdisk" -d $here/small.cpio.gz $here/ramdisk.uimg >/dev/null

# LZO squashfs with compressible text, noise and repetition (exercises every
# LZO1X instruction in Rampart's own decoder, third_party/lzo1x)
T=$work/text && mkdir -p $T/etc
seq -f "line %07g of a compressible text file" 1 4000 > $T/big.txt
(for i in $(seq 1 300); do echo "root:x:0:0:root:/root:/bin/sh $i"; done) > $T/etc/passwd
head -c 3000 /dev/urandom | base64 > $T/random.txt   # regenerating changes its sha256 in lzo_test.go
mksquashfs $T $here/text-lzo999.sqsh $SQ -comp lzo -all-root >/dev/null
mksquashfs $T $here/text-lzo1.sqsh $SQ -comp lzo -Xalgorithm lzo1x_1 -all-root >/dev/null

# LZ4 squashfs (raw LZ4 blocks, default and high compression) and legacy LZMA:
# multi-block files (128 KiB blocks), a tail fragment and a tiny file. The
# contents are reproducible (compressors_test.go rebuilds them in Go).
L=$work/lz4 && mkdir -p $L/etc $L/usr/share
seq -f "line %07g of a compressible text file" 1 20000 > $L/usr/share/big.txt
i=0; while [ $i -lt 4096 ]; do printf '%08x' $((i * 2654435761 % 4294967296)); i=$((i + 1)); done > $L/usr/share/hex.txt
printf 'root:x:0:0:root:/root:/bin/ash\nadmin:x:1000:1000:admin:/home/admin:/bin/sh\n' > $L/etc/passwd && echo "lz4" > $L/etc/hello
mksquashfs $L $here/files-lz4.sqsh $SQ -comp lz4 -all-root >/dev/null
mksquashfs $L $here/files-lz4hc.sqsh $SQ -comp lz4 -Xhc -all-root >/dev/null
mksquashfs $L $here/files-lzma.sqsh $SQ -comp lzma -all-root >/dev/null
mksquashfs $L $here/files-gzip.sqsh $SQ -comp gzip -all-root >/dev/null

# cramfs (mkfs.cramfs, util-linux): little- and big-endian, padded for a boot
# loader, explicit holes; multi-block and sparse files, a symlink, a setuid
# binary, device nodes and a FIFO (cramfs_test.go rebuilds the contents).
C=$work/cramfs && mkdir -p $C/etc/init.d $C/bin $C/dev $C/usr/share/doc
printf 'root:x:0:0:root:/root:/bin/sh\nadmin:x:1000:1000:admin:/home/admin:/bin/sh\n' > $C/etc/passwd
seq -f "cramfs line %06g" 1 2000 > $C/usr/share/doc/big.txt
{ printf 'start'; head -c 20000 /dev/zero; printf 'end'; } > $C/usr/share/doc/sparse.bin
printf '#!/bin/sh\n/usr/sbin/telnetd -l /bin/sh\n' > $C/etc/init.d/rcS && chmod 755 $C/etc/init.d/rcS
printf '\177ELF' > $C/bin/su
: > $C/etc/empty
ln -s /etc/passwd $C/etc/passwd-link
mknod $C/dev/console c 5 1 && mknod $C/dev/mtdblock0 b 31 0 && mkfifo $C/dev/initctl
chown -R 0:0 $C && chown 1000:100 $C/usr/share/doc/big.txt && chmod 4755 $C/bin/su  # chown clears setuid
mkfs.cramfs -N little -z $C $here/le.cramfs >/dev/null
mkfs.cramfs -N big $C $here/be.cramfs >/dev/null
mkfs.cramfs -N little -p $C $here/padded.cramfs >/dev/null

# JFFS2 (mkfs.jffs2, mtd-utils): little-endian zlib (the default), big-endian
# with rtime only, and LZO; 64 KiB erase blocks with cleanmarkers, padded.
# The tree is the cramfs one (jffs2_test.go rebuilds the contents).
mkfs.jffs2 -l -r $C -o $here/le.jffs2 -e 65536 -p 2>/dev/null
mkfs.jffs2 -b -r $C -o $here/be-rtime.jffs2 -e 65536 -x zlib -x lzo 2>/dev/null
mkfs.jffs2 -l -r $C -o $here/lzo.jffs2 -e 65536 -x zlib -x rtime -X lzo 2>/dev/null

# Sparse files (holes cost nothing in an image): a 1 GiB hole in a GNU sparse
# tar, a squashfs and an ext2 image (each must be refused by the ratio limit,
# not read into memory), and an ext4 with metadata_csum whose files have a
# hole in the middle and one at the end (go-diskfs misreads the first and
# never ends reading the second: the built-in reader reads them).
H=$work/sparse && mkdir -p $H/big $H/holes
truncate -s 1G $H/big/big
tar --sparse --owner=0 --group=0 --mtime=@0 -C $H/big -cf - big | gzip -9n > $here/sparse.tar.gz
mksquashfs $H/big $here/sparse.sqsh $SQ -comp gzip -all-root >/dev/null
rm -f $work/sparse-ext2.img
mke2fs -q -t ext2 -d $H/big -b 1024 -N 32 -E root_owner=0:0 $work/sparse-ext2.img 512k
gzip -9n < $work/sparse-ext2.img > $here/sparse-ext2.img.gz
printf 'head\n' > $H/holes/mid && truncate -s 9000 $H/holes/mid && printf 'tail\n' >> $H/holes/mid
printf 'data\n' > $H/holes/end && truncate -s 20000 $H/holes/end
printf 'plain\n' > $H/holes/plain
rm -f $work/sparse-ext4.img
mke2fs -q -t ext4 -O metadata_csum -d $H/holes -b 1024 -N 32 -E root_owner=0:0 $work/sparse-ext4.img 512k
gzip -9n < $work/sparse-ext4.img > $here/sparse-ext4.img.gz

# A squashfs with 1 MiB blocks whose one directory holds 2 000 small files
# packed into one fragment block (each file was read by re-reading the
# directory and re-decompressing the fragment block).
F=$work/frag && mkdir -p $F/d
for i in $(seq 1 2000); do seq -f "file $i line %g" 1 12 > $F/d/f$i; done
mksquashfs $F $here/many-small.sqsh $SQ -b 1M -comp gzip -all-root >/dev/null

# An ext4 with metadata_csum whose one directory holds 5 000 small files
# (go-diskfs, which read such images, re-read the directory for every file
# it opened), and a setuid file, symlinks (inline and in a block), a device
# node and a FIFO. Reproducible: fixed UUID and hash seed, no journal,
# E2FSPROGS_FAKE_TIME, and every inode's times set to 0 afterwards (mke2fs
# -d copies the source's ctime and atime).
M=$work/many-ext4 && mkdir -p $M/d $M/etc $M/bin $M/dev
for i in $(seq 1 5000); do printf 'file %d\n' $i > $M/d/f$i; done
printf 'root:x:0:0:root:/root:/bin/sh\n' > $M/etc/passwd && seq -f "%07g" 1 12500 > $M/etc/big.txt
ln -s ../etc/passwd $M/bin/passwd-link
ln -s /a/very/long/symlink/target/that/does/not/fit/into/the/inode/itself/at/all $M/bin/long-link
printf '\177ELF' > $M/bin/su && chown -R 0:0 $M && chmod 4755 $M/bin/su && chown 1000:100 $M/etc/big.txt
mknod $M/dev/console c 5 1 && mkfifo $M/dev/initctl
rm -f $work/many-small-ext4.img
E2FSPROGS_FAKE_TIME=1 mke2fs -q -t ext4 -O metadata_csum,^has_journal -U 6e2b9e3c-0000-4000-8000-000000000001 \
  -E root_owner=0:0,hash_seed=6e2b9e3c-0000-4000-8000-000000000002 -d $M -b 1024 -N 5120 $work/many-small-ext4.img 8m
n=$(find $M -mindepth 1 | wc -l) # inodes 11 (lost+found) to n + 11
{ i=2; while [ $i -le $((n + 11)) ]; do
    [ $i -eq 3 ] && i=11
    for f in atime ctime mtime crtime; do echo "sif <$i> $f 0"; done
    i=$((i + 1))
  done; } > $work/times
E2FSPROGS_FAKE_TIME=1 debugfs -w -f $work/times $work/many-small-ext4.img >/dev/null 2>&1
gzip -9n < $work/many-small-ext4.img > $here/many-small-ext4.img.gz

# corrupt-elf.tar is not made here: a ustar archive (mtime 0) of etc/hostname
# ("r\n") and usr/bin/broken, which is elfcheck's fuzz seed
# ../elfcheck/testdata/fuzz/FuzzCheck/compressed-symtab (an ELF file whose
# compressed .symtab says it inflates past the file); TestCorruptELFIsWarned
# builds the same image from the seed.

# zip (Info-ZIP zip 3.0), as vendors ship firmware downloads: a deflated file,
# stored ones (zip stores what deflate would not shrink), a directory, a Unix symlink (-y), a nested gzip'd cpio (the
# ramdisk above), and an entry encrypted with the traditional PKWARE
# cipher (-P), added by a second run. zip_test.go checks the bytes.
Z=$work/zip && mkdir -p $Z/fw/doc
printf 'Firmware 1.2.3 release notes\nFixed: telnetd removed\n' > $Z/fw/doc/README.txt
seq -f "zip line %05g" 1 500 > $Z/fw/doc/big.txt
cp $here/small.cpio.gz $Z/fw/rootfs.cpio.gz
ln -s doc/README.txt $Z/fw/notes
printf 'factory password: hunter2\n' > $Z/fw/secret.txt
rm -f $here/firmware.zip
(cd $Z && TZ=UTC touch -h -d @0 fw fw/doc fw/doc/* fw/notes fw/rootfs.cpio.gz fw/secret.txt &&
  zip -X -q -y firmware.zip fw fw/doc fw/doc/README.txt fw/doc/big.txt fw/notes fw/rootfs.cpio.gz &&
  zip -X -q -P secret firmware.zip fw/secret.txt && mv firmware.zip $here/firmware.zip)

# U-Boot FIT images (mkimage -f, u-boot-tools; dtc, device-tree-compiler): a
# gzip'd kernel (a banner), an LZMA'd cpio ramdisk (the one above), a device
# tree, and a squashfs rootfs, with crc32/sha256 hashes; in the tree
# (fit.itb), after it at data-offset (-E, fit-external.itb) and at an
# absolute data-position (-E -p, fit-position.itb). fit_test.go checks them.
I=$work/fit && mkdir -p $I
printf 'Linux version 5.10.161 (builder@fit) (gcc 12.2.0) #1 SMP PREEMPT\n' > $I/kernel
gzip -9n < $I/kernel > $I/kernel.gz
gzip -dc $here/small.cpio.gz | xz --format=lzma -9 > $I/ramdisk.lzma
printf '/dts-v1/;\n/ { model = "Rampart test board"; compatible = "rampart,test"; };\n' | dtc -q -I dts -O dtb -o $I/board.dtb -
cp $here/small-xz.sqsh $I/rootfs.sqsh
cat > $I/fit.its <<'T'
/dts-v1/;
/ {
	description = "Rampart test FIT";
	#address-cells = <1>;
	images {
		kernel-1 {
			description = "kernel"; data = /incbin/("kernel.gz");
			type = "kernel"; arch = "arm"; os = "linux"; compression = "gzip";
			load = <0x80008000>; entry = <0x80008000>;
			hash-1 { algo = "crc32"; };
			hash-2 { algo = "sha256"; };
		};
		ramdisk-1 {
			description = "ramdisk"; data = /incbin/("ramdisk.lzma");
			type = "ramdisk"; arch = "arm"; os = "linux"; compression = "lzma";
			hash-1 { algo = "sha1"; };
		};
		fdt-1 {
			description = "board"; data = /incbin/("board.dtb");
			type = "flat_dt"; arch = "arm"; compression = "none";
		};
		rootfs-1 {
			description = "rootfs"; data = /incbin/("rootfs.sqsh");
			type = "filesystem"; arch = "arm"; compression = "none";
		};
	};
	configurations {
		default = "conf-1";
		conf-1 { kernel = "kernel-1"; ramdisk = "ramdisk-1"; fdt = "fdt-1"; };
	};
};
T
(cd $I && SOURCE_DATE_EPOCH=0 mkimage -q -f fit.its $here/fit.itb &&
  SOURCE_DATE_EPOCH=0 mkimage -q -E -f fit.its $here/fit-external.itb &&
  SOURCE_DATE_EPOCH=0 mkimage -q -E -p 0x1000 -f fit.its $here/fit-position.itb)

# Android sparse image (img2simg, android-sdk-libsparse-utils) of a small
# ext4 with 1 KiB blocks: raw, fill and don't-care chunks. The raw image is
# kept beside it (gzip'd) so sparse_test.go checks the expansion byte for
# byte. Reproducible like many-small-ext4 above (fixed UUID, hash seed, time).
A=$work/android && mkdir -p $A/system/etc $A/system/bin
printf 'root:x:0:0:root:/root:/system/bin/sh\nshell:x:2000:2000::/:/system/bin/sh\n' > $A/system/etc/passwd
printf 'ro.build.fingerprint=rampart/test/1:14/UQ1A/1:user/release-keys\nro.adb.secure=0\n' > $A/system/build.prop
seq -f "sparse line %05g" 1 300 > $A/system/etc/lines.txt
ln -s /system/bin/toybox $A/system/bin/sh && printf '\177ELF' > $A/system/bin/toybox
chown -R 0:0 $A && TZ=UTC touch -h -d @0 $(find $A)
rm -f $work/android.img
E2FSPROGS_FAKE_TIME=1 mke2fs -q -t ext4 -O ^has_journal -U 6e2b9e3c-0000-4000-8000-000000000003 \
  -E root_owner=0:0,hash_seed=6e2b9e3c-0000-4000-8000-000000000004 -d $A -b 1024 -N 32 $work/android.img 256k
gzip -9n < $work/android.img > $here/android-ext4.img.gz
img2simg $work/android.img $here/android-ext4.simg 1024

# UBI (ubinize and mkfs.ubifs, mtd-utils): 16 KiB erase blocks, 512-byte
# pages; a static volume holding a gzip'd kernel banner, a dynamic volume
# holding the xz squashfs above (as OpenWrt lays out rootfs) and a dynamic
# UBIFS volume (rootfs_data). gzip'd: erased flash is 0xff. ubi_test.go checks the volumes.
U=$work/ubi && mkdir -p $U/data
printf 'ubifs data file\n' > $U/data/hello
mkfs.ubifs -m 512 -e 15360 -c 32 -r $U/data $U/ubifs.img
printf 'Linux version 5.15.0 (ubi@test) #1\n' | gzip -9n > $U/kernel.gz
cp $here/small-xz.sqsh $U/rootfs.sqsh
cat > $U/ubi.ini <<'I'
[kernel]
mode=ubi
image=kernel.gz
vol_id=0
vol_type=static
vol_name=kernel
[rootfs]
mode=ubi
image=rootfs.sqsh
vol_id=1
vol_type=dynamic
vol_name=rootfs
[rootfs_data]
mode=ubi
image=ubifs.img
vol_id=2
vol_type=dynamic
vol_name=rootfs_data
vol_size=256KiB
I
(cd $U && ubinize -o ubi.img -p 16KiB -m 512 -Q 1234 ubi.ini 2>/dev/null)
gzip -9n < $U/ubi.img > $here/openwrt.ubi.gz

# UBIFS (mkfs.ubifs, mtd-utils) of the cramfs tree above, with each data
# compression: LZO (the default), zlib, zstd and none; 512-byte pages,
# 15 KiB LEBs as in the UBI image. gzip'd (free space is 0xff).
# ubifs_test.go checks the tree (checkGenTree).
for x in lzo zlib zstd none; do
  mkfs.ubifs -m 512 -e 15360 -c 64 -x $x -r $C $work/$x.ubifs
  gzip -9n < $work/$x.ubifs > $here/$x.ubifs.gz
done

# EROFS (mkfs.erofs, erofs-utils 1.5) of the cramfs tree above, fixed UUID
# and timestamps: uncompressed with compact inodes (FLAT_PLAIN and
# FLAT_INLINE: big.txt's last 1136 bytes are packed after its inode),
# chunk-based with extended inodes and chunk indexes (sparse.bin's zero
# chunk is a hole), and LZ4: -zlz4hc and -zlz4 (compact 4-byte and 2-byte
# cluster indexes), big physical clusters of 16 KiB (-C16384) and the full
# 8-byte index (-Elegacy-compress), the last pcluster of each file inline
# after its index (-Eztailpacking); files that do not shrink stay
# uncompressed; the LZ4 images also hold long.txt (144 KB, 36 logical
# clusters: compact indexes switch to 2-byte records after the first 6).
# blocks.bin (two whole blocks) is FLAT_PLAIN. erofs_test.go checks the
# tree (checkGenTree).
F=$work/erofs && mkdir -p $F && cp -a $C/. $F/ && seq -f "block %07g" 1 1024 | head -c 8192 > $F/usr/share/doc/blocks.bin
E="-T0 -U 6f1d9a2c-3b4e-4f5a-8b6c-7d8e9f0a1b2c -x-1 --quiet"
mkfs.erofs $E $here/plain.erofs $F
mkfs.erofs $E -Eforce-inode-extended,force-chunk-indexes --chunksize=4096 $here/chunked.erofs $F
Z=$work/erofs-lz4 && mkdir -p $Z && cp -a $F/. $Z/ && seq -f "long line %07g" 1 8000 > $Z/usr/share/doc/long.txt
mkfs.erofs $E -zlz4hc $here/lz4hc.erofs $Z
mkfs.erofs $E -zlz4 $here/lz4.erofs $Z
mkfs.erofs $E -zlz4hc -C16384 $here/lz4-big.erofs $Z
mkfs.erofs $E -zlz4 -Elegacy-compress $here/lz4-legacy.erofs $Z
mkfs.erofs $E -zlz4hc -Eztailpacking $here/lz4-ztail.erofs $Z

# 7z (the 7z command of p7zip-full, 7-Zip 26.02 here): the cramfs tree without its device nodes and FIFO (7z
# stores none), LZMA2 solid with Unix modes and the symlink as a link
# (-snl), and one file encrypted with AES (named in the detail).
# sevenzip_test.go checks it.
S=$work/7z && mkdir -p $S && cp -a $C/. $S/ && rm -rf $S/dev
(cd $S && 7z a -t7z -m0=lzma2 -mx9 -ms=on -snl $work/a.7z . >/dev/null && printf 'secret\n' > key.txt &&
  7z a -t7z -pRampart -mhe=off $work/a.7z key.txt >/dev/null)
cp $work/a.7z $here/tree.7z
# A 7z bomb: 20 MB of zeros in about 3 KB (past the ratio limit of 200).
head -c 20000000 /dev/zero > $work/zeros && (cd $work && 7z a -t7z -mx9 zeros.7z zeros >/dev/null) && cp $work/zeros.7z $here/zeros.7z
# A 7z whose header is encrypted (-mhe): nothing can be listed.
(cd $work && printf 'root::0:0::/root:/bin/sh\n' > passwd && 7z a -t7z -pRampart -mhe=on hidden.7z passwd >/dev/null) && cp $work/hidden.7z $here/hidden.7z

# Android boot images (androidboot_test.go): mkbootimg 29.0.6 (Debian's mkbootimg
# package, 1:29.0.6-28; it writes boot header versions 0 to 3 and vendor_boot v3,
# not v4). The ramdisk is a newc cpio of $A (init.rc, a setuid su, a symlink, an
# empty directory); the vendor ramdisk of $V. Kernel: a 6 KB blob holding a banner.
# android-boot.manifest records each entry's kind, mode, owner and sha256 (or
# link target) under /ramdisk or /vendor_ramdisk; the test compares every
# extracted entry with it.
A=$work/boot-ramdisk V=$work/vendor-ramdisk B=$work/boot
mkdir -p $A/system/bin $A/system/etc $A/dev $A/proc $V/lib/modules $V/first_stage_ramdisk $B
printf 'on early-init\n    start ueventd\n\nservice adbd /system/bin/adbd --root_seclabel=u:r:su:s0\n    class core\n' > $A/init.rc
printf '#!/system/bin/sh\nexec /system/bin/toybox "$@"\n' > $A/system/bin/sh
printf 'SU\177ELF-stand-in\n' > $A/system/bin/su
printf 'ro.build.version.release=11\nro.debuggable=1\n' > $A/system/etc/prop.default
ln -s /system/bin/sh $A/system/bin/ash
chmod 750 $A/init.rc; chmod 755 $A/system/bin/sh; chmod 4750 $A/system/bin/su; chmod 644 $A/system/etc/prop.default
chmod 755 $A/system $A/system/bin $A/system/etc $A/dev $A/proc
printf 'vendor module\n' > $V/lib/modules/wlan.ko; chmod 644 $V/lib/modules/wlan.ko
printf '/dev/block/by-name/vendor /vendor ext4 ro wait,first_stage_mount\n' > $V/first_stage_ramdisk/fstab.rampart
chmod 640 $V/first_stage_ramdisk/fstab.rampart; chmod 755 $V/lib $V/lib/modules $V/first_stage_ramdisk
touch -h -d @1700000000 $(find $A $V)
manifest() { (cd $1 && find . -mindepth 1 | sort | while read p; do q=$2${p#.}
  if [ -L "$p" ]; then echo "$q symlink $(stat -c '%a 0 0' "$p") $(readlink "$p")"
  elif [ -d "$p" ]; then echo "$q dir $(stat -c '%a 0 0' "$p")"
  else echo "$q file $(stat -c '%a 0 0' "$p") $(sha256sum < "$p" | cut -d' ' -f1)"; fi; done); }
{ manifest $A /ramdisk; manifest $V /vendor_ramdisk; } > $here/android-boot.manifest
(cd $A && find . -mindepth 1 | sort | cpio -o -H newc --quiet -R 0:0 --reproducible) > $B/ramdisk.cpio
(cd $V && find . -mindepth 1 | sort | cpio -o -H newc --quiet -R 0:0 --reproducible) > $B/vendor.cpio
gzip -9n < $B/ramdisk.cpio > $B/ramdisk.cpio.gz
lz4 -l -9 -q < $B/ramdisk.cpio > $B/ramdisk.cpio.lz4
gzip -9n < $B/vendor.cpio > $B/vendor.cpio.gz
{ printf 'kernel stand-in image\n'; seq -f 'kernel text %05g' 1 300
  printf '\nLinux version 5.4.86-android11 (builder@rampart) (gcc 10.2.1) #1 SMP PREEMPT\n'; } > $B/kernel
printf 'second stage bootloader\n' > $B/second
printf '/dts-v1/;\n/ { model = "Rampart test phone"; compatible = "rampart,phone"; };\n' | dtc -q -I dts -O dtb -o $B/dtb
mkbootimg --header_version 0 --pagesize 2048 --kernel $B/kernel --ramdisk $B/ramdisk.cpio.gz --board rampart-v0 \
  --cmdline 'console=ttyMSM0 androidboot.hardware=rampart' --os_version 9.0.0 --os_patch_level 2019-05 -o $here/boot-v0.img
# (mkbootimg 29.0.6 cannot write a recovery DTBO under Python 3: its page count
# is a float, which struct.pack refuses; the v1 image has a second stage instead.)
mkbootimg --header_version 1 --pagesize 4096 --kernel $B/kernel --ramdisk $B/ramdisk.cpio.gz --second $B/second \
  --board rampart-rec --os_version 10.0.0 --os_patch_level 2020-01 -o $here/recovery-v1.img
mkbootimg --header_version 2 --pagesize 2048 --kernel $B/kernel --ramdisk $B/ramdisk.cpio.lz4 --dtb $B/dtb \
  --board rampart-v2 --os_version 10.0.0 --os_patch_level 2020-06 -o $here/boot-v2.img
mkbootimg --header_version 3 --kernel $B/kernel --ramdisk $B/ramdisk.cpio --os_version 11.0.0 --os_patch_level 2021-03 \
  --cmdline 'androidboot.selinux=permissive' -o $here/boot-v3.img \
  --vendor_boot $here/vendor_boot-v3.img --vendor_ramdisk $B/vendor.cpio.gz --dtb $B/dtb --pagesize 2048 \
  --vendor_cmdline 'androidboot.console=ttyMSM0' --board rampart-vnd

# EROFS compression features (erofsz_test.go): mkfs.erofs 1.9.3, as Debian 12's
# erofs-utils 1.5 knows only lz4 and lz4hc. Built from the erofs-utils sources
# (git tag v1.9.3) with Debian's gcc 12: apt-get install autoconf automake libtool
# pkg-config liblz4-dev liblzma-dev libzstd-dev zlib1g-dev uuid-dev libdeflate-dev;
# ./autogen.sh && ./configure --enable-lzma --with-libzstd --with-libdeflate
# --without-selinux --disable-fuse && make -C lib && make -C mkfs; then
# MKFS_EROFS=/path/to/mkfs/mkfs.erofs sh gen.sh. The tree: bin/tool (102,684
# bytes: text, 16 KiB of AES-CTR bytes, text), small files, an empty one, a deep
# directory, two symlinks, a file owned by 1000:100, inline extended attributes
# (user.rampart.note, user.comment) and one shared by four inodes (user.shared).
# erofs-z.manifest records each entry's kind, mode, owner and sha256 (or link
# target); erofsz_test.go compares every extracted entry with it.
M=${MKFS_EROFS:-mkfs.erofs}
case $($M -V) in *" 1.9."*) ;; *) echo "gen.sh: the EROFS compression fixtures need mkfs.erofs 1.9 (MKFS_EROFS)" >&2; exit 1;; esac
X=$work/erofs-z
mkdir -p $X/bin $X/etc/config $X/etc/init.d $X/usr/lib $X/usr/share/doc $X/usr/share/a/b/c/d $X/var
rnd() { openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f -iv $1 < /dev/zero 2>/dev/null | head -c $2; }
{ seq -f "record %06g: the quick brown fox jumps over the lazy dog" 1 700; rnd 00000000000000000000000000000001 16384; seq -f "trailer %06g" 1 3000; } > $X/bin/tool
printf 'rampart\n' > $X/etc/hostname
for i in 1 2 3 4 5 6; do printf "config interface 'lan%d'\n\toption proto 'static'\n\toption ipaddr '192.168.%d.1'\n\toption netmask '255.255.255.0'\n\n" $i $i; done > $X/etc/config/network
printf '#!/bin/sh\nmount -t proc proc /proc\nexec /bin/tool --daemon\n' > $X/etc/init.d/rcS
chmod 755 $X/etc/init.d/rcS $X/bin/tool
{ seq -f "symbol_%05g" 1 800; rnd 00000000000000000000000000000002 2048; } > $X/usr/lib/libdemo.so.1
ln -s libdemo.so.1 $X/usr/lib/libdemo.so
ln -s ../../etc/config/network $X/usr/share/network
head -c 40000 $X/bin/tool > $X/usr/share/doc/copy.txt
seq -f "leaf %g" 1 50 > $X/usr/share/a/b/c/d/leaf.txt
: > $X/var/empty.log
chown 1000:100 $X/usr/share/doc/copy.txt
setfattr -n user.rampart.note -v "an inline extended attribute of the network config" $X/etc/config/network
for f in bin/tool etc/hostname usr/lib/libdemo.so.1 etc/config; do setfattr -n user.shared -v "one value many files" $X/$f; done
setfattr -n user.comment -v "$(seq -s, 1 60)" $X/bin/tool
touch -h -d @1700000000 $(find $X)
(cd $X && find . -mindepth 1 | sort | while read p; do q=${p#.}
  if [ -L "$p" ]; then echo "$q symlink $(stat -c '%a %u %g' "$p") $(readlink "$p")"
  elif [ -d "$p" ]; then echo "$q dir $(stat -c '%a %u %g' "$p")"
  else echo "$q file $(stat -c '%a %u %g' "$p") $(sha256sum < "$p" | cut -d' ' -f1)"; fi; done) > $here/erofs-z.manifest
E="-T0 -U 6f1d9a2c-3b4e-4f5a-8b6c-7d8e9f0a1b2c --quiet"
$M $E -zlzma -C32768 $here/lzma.erofs $X
$M $E -zlzma,level=9 -Eztailpacking $here/lzma-ztail.erofs $X
$M $E -zdeflate -Elegacy-compress $here/deflate.erofs $X
$M $E -zdeflate,level=9 -C16384 -Eztailpacking $here/deflate-big.erofs $X
$M $E -zzstd -C65536 -Eztailpacking $here/zstd.erofs $X
$M $E -zlz4hc -Efragments $here/lz4-frag.erofs $X
$M $E -zzstd -Eall-fragments $here/zstd-allfrag.erofs $X
$M $E -zlzma -Efragments,dedupe -C16384 $here/lzma-dedupe.erofs $X
$M $E -zzstd -E48bit $here/zstd-48.erofs $X
$M $E -zlzma -C16384 -E48bit,fragments $here/lzma-48.erofs $X
$M $E -zlz4hc -b1024 -C8192 $here/lz4-1k.erofs $X
$M $E -zlz4hc --zD $here/lz4-zdir.erofs $X
