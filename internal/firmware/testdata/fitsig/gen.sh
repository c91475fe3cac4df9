#!/bin/sh
# Signed U-Boot FIT fixtures for internal/firmware/unpack/fitsig_test.go and
# internal/firmware/fitsig_test.go. Needs u-boot-tools (mkimage), dtc
# (device-tree-compiler) and openssl; see README.md for the versions used.
# The private keys live in a temporary directory and are not kept: only the
# public halves are committed (dev.pub.pem, ec.pub.pem).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir keys
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out keys/dev.key
openssl req -batch -new -x509 -key keys/dev.key -out keys/dev.crt -days 3650 -subj /CN=dev
openssl ecparam -name prime256v1 -genkey -noout -out keys/ec.pem # mkimage reads ECDSA keys as <hint>.pem
openssl pkey -in keys/dev.key -pubout -out "$here/dev.pub.pem"
openssl pkey -in keys/ec.pem -pubout -out "$here/ec.pub.pem"
printf 'Linux version 5.10.161 (builder@fitsig) (gcc 12.2.0) #1 SMP PREEMPT\n' > kernel
printf '/dts-v1/;\n/ { model = "Rampart signed board"; };\n' | dtc -I dts -O dtb -o board.dtb -
printf '/dts-v1/;\n/ { model = "Rampart control"; compatible = "rampart,control"; };\n' | dtc -I dts -O dtb -o "$here/control-rsa.dtb" -
# mkimage 2023.01 adds an ECDSA key only under an existing /signature node,
# and fails when asked to add the same key twice (ec.its signs the
# configuration only).
printf '/dts-v1/;\n/ { model = "Rampart control"; compatible = "rampart,control"; signature { }; };\n' | dtc -I dts -O dtb -p 512 -o "$here/control-ec.dtb" -
cp "$here"/rsa.its "$here"/ec.its "$here"/pss.its .
# rsa.itb: kernel-1 and conf-1 signed with sha256,rsa2048 (PKCS#1 v1.5),
# the public key written to control-rsa.dtb as /signature/key-dev.
SOURCE_DATE_EPOCH=0 mkimage -f rsa.its -k keys -K "$here/control-rsa.dtb" -r "$here/rsa.itb"
# ec.itb: conf-1 signed with sha256,ecdsa256; key in control-ec.dtb (/signature/ec).
SOURCE_DATE_EPOCH=0 mkimage -f ec.its -k keys -K "$here/control-ec.dtb" -r "$here/ec.itb"
# pss.itb: sha384,rsa2048 with padding = "pss", key given as dev.pub.pem.
SOURCE_DATE_EPOCH=0 mkimage -f pss.its -k keys -r "$here/pss.itb"
# rsa-tampered.itb: rsa.itb with one byte of the root description (signed
# by conf-1's signature, not by kernel-1's) changed: "Rampart" -> "Rampert".
python3 - "$here/rsa.itb" "$here/rsa-tampered.itb" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
i = b.index(b'Rampart signed FIT')
b[i + 4] = ord('e')
open(sys.argv[2], 'wb').write(b)
PY
