#!/bin/sh
# Regenerates the gcc-built fixtures (x86-64). Needs gcc. Run from this folder.
set -eu
cat > /tmp/elfcheck-fixture.c <<'C'
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) { char buf[32]; strcpy(buf, argc > 1 ? argv[1] : "x"); printf("%s\n", buf); return 0; }
C
gcc -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE -pie -Wl,-z,relro,-z,now -s -o hardened /tmp/elfcheck-fixture.c
gcc -O0 -fno-stack-protector -no-pie -Wl,-z,norelro -z execstack -o weak /tmp/elfcheck-fixture.c
rm -f /tmp/elfcheck-fixture.c
