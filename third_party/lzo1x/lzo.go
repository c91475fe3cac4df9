// Package lzo decompresses LZO1X streams (as written by lzo1x_1 and
// lzo1x_999, e.g. in squashfs and UBIFS). It is Rampart's own
// implementation of the format, bounds-checked for untrusted input; it
// replaces the GPL-licensed github.com/rasky/go-lzo under the same import
// path (see README.md).
package lzo

import (
	"errors"
	"io"
)

// Errors for malformed input. No input makes the decoder read or write
// out of bounds.
var (
	ErrInputOverrun  = errors.New("lzo: input ends inside an instruction")
	ErrOutputOverrun = errors.New("lzo: output larger than allowed")
	ErrLookBehind    = errors.New("lzo: match refers before the start of the output")
	ErrNoEnd         = errors.New("lzo: no end-of-stream marker")
	ErrUnsupported   = errors.New("lzo: LZO-RLE streams are not supported")
)

// MaxOutput bounds the output when the caller gives no size.
const MaxOutput = 64 << 20

// Decompress1X reads inLen bytes of an LZO1X stream from r (all of r when
// inLen <= 0) and returns the decompressed data; outLen, when > 0, is the
// exact size expected and bounds the output.
func Decompress1X(r io.Reader, inLen, outLen int) ([]byte, error) {
	var in []byte
	var err error
	if inLen > 0 {
		in = make([]byte, inLen)
		if _, err = io.ReadFull(r, in); err != nil {
			return nil, err
		}
	} else if in, err = io.ReadAll(io.LimitReader(r, MaxOutput)); err != nil {
		return nil, err
	}
	limit := MaxOutput
	if outLen > 0 {
		limit = outLen
	}
	return Decompress(in, limit)
}

// Decompress decodes one LZO1X stream, producing at most limit bytes.
func Decompress(in []byte, limit int) ([]byte, error) {
	d := decoder{in: in, limit: limit, out: make([]byte, 0, min(limit, 4*len(in)+64))}
	return d.run()
}

type decoder struct {
	in    []byte
	ip    int
	out   []byte
	limit int
}

func (d *decoder) byte() (int, error) {
	if d.ip >= len(d.in) {
		return 0, ErrInputOverrun
	}
	b := d.in[d.ip]
	d.ip++
	return int(b), nil
}

func (d *decoder) le16() (int, error) {
	if d.ip+2 > len(d.in) {
		return 0, ErrInputOverrun
	}
	v := int(d.in[d.ip]) | int(d.in[d.ip+1])<<8
	d.ip += 2
	return v, nil
}

// length reads an extended length: each zero byte adds 255, the first
// non-zero byte ends it; the result is base plus the bytes read.
func (d *decoder) length(base int) (int, error) {
	n := base
	for {
		b, err := d.byte()
		if err != nil {
			return 0, err
		}
		if b != 0 {
			return n + b, nil
		}
		n += 255
		if n > d.limit {
			return 0, ErrOutputOverrun
		}
	}
}

func (d *decoder) literals(n int) error {
	if n > len(d.in)-d.ip {
		return ErrInputOverrun
	}
	if n > d.limit-len(d.out) {
		return ErrOutputOverrun
	}
	d.out = append(d.out, d.in[d.ip:d.ip+n]...)
	d.ip += n
	return nil
}

func (d *decoder) match(dist, n int) error {
	if dist <= 0 || dist > len(d.out) {
		return ErrLookBehind
	}
	if n > d.limit-len(d.out) {
		return ErrOutputOverrun
	}
	start := len(d.out) - dist
	for i := range n { // byte by byte: a match may overlap its own output
		d.out = append(d.out, d.out[start+i])
	}
	return nil
}

// run decodes instructions. state is how many literals followed the last
// instruction: 0, 1–3 (copied by a match's two low bits) or 4 (a literal
// run); it decides what the short instructions 0–15 mean.
func (d *decoder) run() ([]byte, error) {
	state := 0
	if len(d.in) > 0 && d.in[0] >= 17 {
		if d.in[0] == 17 {
			return nil, ErrUnsupported
		}
		d.ip = 1
		t := int(d.in[0]) - 17
		if err := d.literals(t); err != nil {
			return nil, err
		}
		state = min(t, 4)
	}
	for {
		inst, err := d.byte()
		if err != nil {
			if err == ErrInputOverrun {
				return nil, ErrNoEnd
			}
			return nil, err
		}
		var dist, n, next int
		switch {
		case inst >= 128: // 1LLDDDSS HHHHHHHH: length 5–8, distance up to 2 KiB
			h, err := d.byte()
			if err != nil {
				return nil, err
			}
			n, dist, next = 5+(inst>>5)&3, h<<3+(inst>>2)&7+1, inst&3
		case inst >= 64: // 01LDDDSS HHHHHHHH: length 3–4
			h, err := d.byte()
			if err != nil {
				return nil, err
			}
			n, dist, next = 3+(inst>>5)&1, h<<3+(inst>>2)&7+1, inst&3
		case inst >= 32: // 001LLLLL [len] DDDDDDDD DDDDDDSS: distance up to 16 KiB
			n = inst & 31
			if n == 0 {
				if n, err = d.length(31); err != nil {
					return nil, err
				}
			}
			n += 2
			v, err := d.le16()
			if err != nil {
				return nil, err
			}
			dist, next = v>>2+1, v&3
		case inst >= 16: // 0001HLLL [len] DDDDDDDD DDDDDDSS: distance 16–48 KiB; distance 16 KiB ends the stream
			n = inst & 7
			if n == 0 {
				if n, err = d.length(7); err != nil {
					return nil, err
				}
			}
			n += 2
			v, err := d.le16()
			if err != nil {
				return nil, err
			}
			dist, next = 16384+(inst&8)<<11+v>>2, v&3
			if dist == 16384 {
				return d.out, nil
			}
		default: // 0000....: a literal run after a match, else a short match
			if state == 0 {
				n = inst & 15
				if n == 0 {
					if n, err = d.length(15); err != nil {
						return nil, err
					}
				}
				if err := d.literals(n + 3); err != nil {
					return nil, err
				}
				state = 4
				continue
			}
			h, err := d.byte()
			if err != nil {
				return nil, err
			}
			next = inst & 3
			if state == 4 { // 0000DDSS HHHHHHHH after a literal run: length 3, distance 2–3 KiB
				n, dist = 3, h<<2+(inst>>2)&3+2049
			} else { // after 1–3 literals: length 2, distance up to 1 KiB
				n, dist = 2, h<<2+(inst>>2)&3+1
			}
		}
		if err := d.match(dist, n); err != nil {
			return nil, err
		}
		if err := d.literals(next); err != nil {
			return nil, err
		}
		state = next
	}
}
