package unpack

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
)

// BenchmarkFITSignatures checks the signatures of a FIT image of the size
// BenchmarkUnpackFIT unpacks (a gzip'd kernel and a ramdisk, 20 MB or so),
// each image signed with sha256,rsa2048 by a key made here, and its
// configuration signed too: the cost verification adds to unpacking is
// hashing the images once more and one RSA verification per signature.
func BenchmarkFITSignatures(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	sign := func(data []byte) string {
		sum := sha256.Sum256(data)
		s, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
		if err != nil {
			b.Fatal(err)
		}
		return string(s)
	}
	var k bytes.Buffer
	for _, e := range benchFiles(256, 32<<10)[2:] {
		k.WriteString(e.data)
	}
	kernel, ramdisk := gz(k.Bytes()), gz(makeCPIO(benchFiles(1000, 16<<10)))
	image := func(name string, data []byte) fdtSpec {
		sum := sha256.Sum256(data)
		return fdtSpec{name: name, props: [][2]string{{"data", string(data)}, {"compression", "gzip\x00"}}, children: []fdtSpec{
			{name: "hash-1", props: [][2]string{{"algo", "sha256\x00"}, {"value", string(sum[:])}}},
			{name: "signature-1", props: [][2]string{{"algo", "sha256,rsa2048\x00"}, {"key-name-hint", "bench\x00"}, {"value", sign(data)}}},
		}}
	}
	img := buildFDT(fdtSpec{children: []fdtSpec{
		{name: "images", children: []fdtSpec{image("kernel-1", kernel), image("ramdisk-1", ramdisk)}},
		{name: "configurations", props: [][2]string{{"default", "conf-1\x00"}}, children: []fdtSpec{{name: "conf-1",
			props:    [][2]string{{"kernel", "kernel-1\x00"}, {"ramdisk", "ramdisk-1\x00"}},
			children: []fdtSpec{{name: "signature-1", props: [][2]string{{"algo", "sha256,rsa2048\x00"}, {"key-name-hint", "bench\x00"}, {"value", string(make([]byte, 256))}}}}}}},
	}})
	keys := []FITKey{{Name: "bench", Source: "bench", Public: &key.PublicKey}}
	b.Logf("FIT: %d bytes", len(img))
	b.SetBytes(int64(len(img)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := CheckFITSignatures(img, keys)
		if err != nil || len(r.Signatures) != 3 || r.Signatures[0].Result != SigVerified || r.Signatures[1].Result != SigVerified || r.Signatures[2].Result != SigBad {
			b.Fatalf("%v %+v", err, r)
		}
	}
}
