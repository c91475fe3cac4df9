package accounts

// Traditional DES-based crypt(3), as in V7 Unix and still found on
// embedded Linux (BusyBox, old uClibc images): the first 8 characters of the
// password (7 bits each) are the DES key, a 12-bit salt swaps bits of the
// E expansion, and a zero block is encrypted 25 times.
//
// Hand-written because Go's crypto/des cannot perturb the E box with the
// salt and no maintained pure-Go module implements it; tests check this DES
// against crypto/des (salt "..") and against hashes made by the system's
// crypt(3).

var desIP = [64]byte{58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7}
var desFP = [64]byte{40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31, 38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13, 53, 21, 61, 29, 36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27, 34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9, 49, 17, 57, 25}
var desPC1 = [56]byte{57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36, 63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4}
var desShifts = [16]byte{1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1}
var desPC2 = [48]byte{14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32}
var desE = [48]byte{32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17, 16, 17, 18, 19, 20, 21, 20, 21, 22, 23, 24, 25, 24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1}
var desP = [32]byte{16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25}
var desS = [8][64]byte{
	{14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8, 4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13},
	{15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5, 0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9},
	{10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1, 13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12},
	{7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9, 10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14},
	{2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6, 4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3},
	{12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8, 9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13},
	{4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6, 1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12},
	{13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2, 7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11},
}

// desBlock encrypts a 64-bit block held one bit per byte (MSB first) with
// the key (likewise) and expansion table e, count times.
func desBlock(key, block [64]byte, e [48]byte, count int) [64]byte {
	var cd [56]byte
	for i := range cd {
		cd[i] = key[desPC1[i]-1]
	}
	var ks [16][48]byte
	for r := 0; r < 16; r++ {
		for s := 0; s < int(desShifts[r]); s++ {
			c0, d0 := cd[0], cd[28]
			copy(cd[0:27], cd[1:28])
			cd[27] = c0
			copy(cd[28:55], cd[29:56])
			cd[55] = d0
		}
		for i := range ks[r] {
			ks[r][i] = cd[desPC2[i]-1]
		}
	}
	for n := 0; n < count; n++ {
		var lr [64]byte
		for i := range lr {
			lr[i] = block[desIP[i]-1]
		}
		l, r := lr[:32], lr[32:]
		for round := 0; round < 16; round++ {
			var x [48]byte
			for i := range x {
				x[i] = r[e[i]-1] ^ ks[round][i]
			}
			var f [32]byte
			for s := 0; s < 8; s++ {
				b := x[6*s : 6*s+6]
				row := b[0]<<1 | b[5]
				col := b[1]<<3 | b[2]<<2 | b[3]<<1 | b[4]
				v := desS[s][int(row)*16+int(col)]
				for k := 0; k < 4; k++ {
					f[4*s+k] = (v >> (3 - k)) & 1
				}
			}
			var nr [32]byte
			for i := range nr {
				nr[i] = l[i] ^ f[desP[i]-1]
			}
			copy(l, r)
			copy(r, nr[:])
		}
		var pre [64]byte
		copy(pre[:32], r)
		copy(pre[32:], l)
		for i := range block {
			block[i] = pre[desFP[i]-1]
		}
	}
	return block
}

const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func cryptValue(c byte) int {
	switch {
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 38
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 12
	case c >= '.' && c <= '9':
		return int(c - '.')
	}
	return 0
}

// desCrypt returns the 13-character traditional crypt(3) hash of password
// with the two-character salt.
func desCrypt(password, salt string) string {
	if len(salt) < 2 {
		return ""
	}
	var key [64]byte
	for i := 0; i < 8 && i < len(password); i++ {
		c := password[i]
		for j := 0; j < 7; j++ {
			key[8*i+j] = (c >> (6 - j)) & 1
		}
	}
	e := desE
	for i := 0; i < 2; i++ {
		v := cryptValue(salt[i])
		for j := 0; j < 6; j++ {
			if (v>>j)&1 == 1 {
				k := 6*i + j
				e[k], e[k+24] = e[k+24], e[k]
			}
		}
	}
	out := desBlock(key, [64]byte{}, e, 25)
	var bits [66]byte
	copy(bits[:], out[:])
	res := []byte{salt[0], salt[1]}
	for i := 0; i < 11; i++ {
		c := 0
		for j := 0; j < 6; j++ {
			c = c<<1 | int(bits[6*i+j])
		}
		res = append(res, cryptAlphabet[c])
	}
	return string(res)
}
