package reportio

import (
	"bytes"
	"strings"
)

// Head is the start of a report as format detection sees it: the first
// bytes of the file with a byte-order mark removed and UTF-16 decoded,
// plus, for JSON, the keys found by a bounded streaming tokenizer over the
// whole window (so key order and long leading sections do not matter).
// A Head is computed once per file and shared by every format's rule.
type Head struct {
	b        []byte
	json     *JSONKeys
	jsonDone bool
}

// NewHead returns the detection view of head (the first bytes of a file).
func NewHead(head []byte) *Head {
	return &Head{b: DecodeBOM(head)}
}

// Bytes are the head's bytes, UTF-8, without a byte-order mark.
func (h *Head) Bytes() []byte {
	if h == nil {
		return nil
	}
	return h.b
}

// Contains reports whether the head contains s.
func (h *Head) Contains(s string) bool { return bytes.Contains(h.Bytes(), []byte(s)) }

// Start is the first non-space byte, or 0.
func (h *Head) Start() byte { return JSONStart(h.Bytes()) }

// XMLRoot is the local name of the document element, or "".
func (h *Head) XMLRoot() string { return RootName(h.Bytes()) }

// HasRoot reports whether the head is XML whose document element is one of names.
func (h *Head) HasRoot(names ...string) bool { return HasRoot(h.Bytes(), names...) }

// CSVHeader is the lower-cased, trimmed header of a CSV head.
func (h *Head) CSVHeader() []string { return CSVHeader(h.Bytes()) }

// JSON returns the keys of a JSON head, or nil when the head does not
// start with '{' or '['.
func (h *Head) JSON() *JSONKeys {
	if h == nil {
		return nil
	}
	if !h.jsonDone {
		h.jsonDone = true
		h.json = ScanJSONKeys(h.b)
	}
	return h.json
}

// JSONObject returns the keys of a head that is a JSON object, or nil.
func (h *Head) JSONObject() *JSONKeys {
	if k := h.JSON(); k != nil && k.Root == '{' {
		return k
	}
	return nil
}

// Bounds of the detection tokenizer.
const (
	maxKeyPaths  = 8192
	maxPathDepth = 8
	maxKeyLen    = 256
	maxTopString = 512
)

// JSONValue is the kind of a top-level member's value and, for a short
// string, the string itself.
type JSONValue struct {
	Kind byte // '{', '[', '"', or the first byte of a number, true, false, null
	Str  string
}

// JSONKeys are the object keys a tokenizer found in a JSON head.
type JSONKeys struct {
	Root     byte                 // '{' or '['
	Top      map[string]JSONValue // members of the top-level object (or, for a top-level array, of its object elements)
	Paths    map[string]bool      // key paths to depth 8: "runs[].tool.driver.name"; arrays as "[]"
	Any      map[string]bool      // every key at any depth
	Complete bool                 // the whole document ended within the head
	Invalid  bool                 // the head is not JSON (syntax error before its end)
}

// Has reports whether k is a key anywhere in the head.
func (k *JSONKeys) Has(key string) bool { return k != nil && k.Any[key] }

// HasTop reports whether key is a member of the top-level object.
func (k *JSONKeys) HasTop(key string) bool {
	if k == nil {
		return false
	}
	_, ok := k.Top[key]
	return ok
}

// TopString is the string value of a top-level member ("" if absent or
// not a string).
func (k *JSONKeys) TopString(key string) string {
	if k == nil {
		return ""
	}
	return k.Top[key].Str
}

// TopKind is the kind of a top-level member's value (0 if absent).
func (k *JSONKeys) TopKind(key string) byte {
	if k == nil {
		return 0
	}
	return k.Top[key].Kind
}

// HasPath reports whether the key path p was seen ("a.b[].c").
func (k *JSONKeys) HasPath(p string) bool { return k != nil && k.Paths[p] }

// HasPathPrefix reports whether a path starting with p was seen.
func (k *JSONKeys) HasPathPrefix(p string) bool {
	if k == nil {
		return false
	}
	if k.Paths[p] {
		return true
	}
	for q := range k.Paths {
		if strings.HasPrefix(q, p) {
			return true
		}
	}
	return false
}

type jsonFrame struct {
	obj       bool
	path      string
	expectKey bool   // object: the next token is a key (or '}')
	key       []byte // the current member's key (unescaped)
}

// ScanJSONKeys tokenizes head as far as it goes and returns its keys; nil
// when head does not start with '{' or '['. It never fails: a head cut
// anywhere gives the keys before the cut.
func ScanJSONKeys(head []byte) *JSONKeys {
	b := DecodeBOM(head)
	i := skipJSONSpace(b, 0)
	if i >= len(b) || (b[i] != '{' && b[i] != '[') {
		return nil
	}
	k := &JSONKeys{Root: b[i], Top: map[string]JSONValue{}, Paths: map[string]bool{}, Any: map[string]bool{}}
	var stack []jsonFrame
	// Strings are interned and paths built in a reused buffer, so a head
	// of many similar records allocates once per distinct key path.
	intern := map[string]string{}
	internBytes := func(p []byte) string {
		if s, ok := intern[string(p)]; ok {
			return s
		}
		s := string(p)
		if len(intern) < 4*maxKeyPaths {
			intern[s] = s
		}
		return s
	}
	var pathBuf []byte
	joinPath := func(parent string, key []byte) []byte {
		pathBuf = pathBuf[:0]
		if parent != "" {
			pathBuf = append(append(pathBuf, parent...), '.')
		}
		return append(pathBuf, key...)
	}
	// value handles the start of a value at b[i] whose key path is path.
	topMember := func() bool {
		n := len(stack)
		if n == 0 {
			return false
		}
		if k.Root == '{' {
			return n == 1 && stack[0].obj
		}
		return n == 2 && stack[1].obj && !stack[0].obj
	}
	for {
		i = skipJSONSpace(b, i)
		if i >= len(b) {
			return k
		}
		c := b[i]
		if n := len(stack); n > 0 {
			f := &stack[n-1]
			switch {
			case c == ',':
				if f.obj {
					f.expectKey = true
				}
				i++
				continue
			case f.obj && c == '}', !f.obj && c == ']':
				stack = stack[:n-1]
				i++
				if len(stack) == 0 {
					k.Complete = true
					return k
				}
				continue
			case f.obj && f.expectKey:
				if c != '"' {
					k.Invalid = true
					return k
				}
				s, next, ok := scanJSONBytes(b, i)
				if !ok {
					return k
				}
				if len(s) > maxKeyLen {
					s = s[:maxKeyLen]
				}
				i = skipJSONSpace(b, next)
				if i >= len(b) {
					return k
				}
				if b[i] != ':' {
					k.Invalid = true
					return k
				}
				i++
				f.expectKey = false
				f.key = s
				if !k.Any[string(s)] && len(k.Any) < maxKeyPaths {
					k.Any[internBytes(s)] = true
				}
				if n <= maxPathDepth {
					p := joinPath(f.path, s)
					if !k.Paths[string(p)] && len(k.Paths) < maxKeyPaths {
						k.Paths[internBytes(p)] = true
					}
				}
				continue
			}
		}
		// A value starts at b[i].
		isTop := topMember()
		parent := func() []byte { // the value's key path
			if len(stack) == 0 {
				return pathBuf[:0]
			}
			f := stack[len(stack)-1]
			if f.obj {
				return joinPath(f.path, f.key)
			}
			return append(pathBuf[:0], f.path...)
		}
		key := ""
		if isTop {
			key = internBytes(stack[len(stack)-1].key)
		}
		switch c {
		case '{', '[':
			if isTop {
				if _, seen := k.Top[key]; !seen {
					k.Top[key] = JSONValue{Kind: c}
				}
			}
			fp := parent()
			if c == '[' {
				fp = append(fp, "[]"...)
			}
			stack = append(stack, jsonFrame{obj: c == '{', path: internBytes(fp), expectKey: c == '{'})
			i++
		case '"':
			if !isTop {
				_, next, ok := scanJSONBytes(b, i)
				if !ok {
					return k
				}
				i = next
				continue
			}
			s, next, ok := scanJSONString(b, i)
			if !ok {
				return k
			}
			if isTop {
				if _, seen := k.Top[key]; !seen {
					if len(s) > maxTopString {
						s = s[:maxTopString]
					}
					k.Top[key] = JSONValue{Kind: '"', Str: s}
				}
			}
			i = next
		default:
			j := i
			for j < len(b) && !isJSONDelim(b[j]) {
				j++
			}
			if j == i {
				k.Invalid = true
				return k
			}
			if isTop {
				if _, seen := k.Top[key]; !seen {
					k.Top[key] = JSONValue{Kind: c, Str: string(b[i:j])}
				}
			}
			if len(stack) == 0 {
				return k
			}
			i = j
		}
	}
}

func isJSONDelim(c byte) bool {
	switch c {
	case ',', ']', '}', ':', ' ', '\t', '\r', '\n', '"', '{', '[':
		return true
	}
	return false
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// scanJSONBytes is scanJSONString without allocating for a string with
// no escapes (the result aliases b).
func scanJSONBytes(b []byte, i int) ([]byte, int, bool) {
	j := i + 1
	for j < len(b) {
		switch b[j] {
		case '\\':
			s, next, ok := scanJSONString(b, i)
			return []byte(s), next, ok
		case '"':
			return b[i+1 : j], j + 1, true
		}
		j++
	}
	return nil, len(b), false
}

// scanJSONString reads the string starting at b[i] (a '"'); it returns the
// unescaped text (escapes other than \" \\ \/ kept as written), the index
// after the closing quote, and false when b ends first.
func scanJSONString(b []byte, i int) (string, int, bool) {
	i++
	start := i
	plain := true
	for i < len(b) {
		switch b[i] {
		case '\\':
			plain = false
			i += 2
			continue
		case '"':
			if plain {
				return string(b[start:i]), i + 1, true
			}
			return unescapeLoose(b[start:i]), i + 1, true
		}
		i++
	}
	return "", len(b), false
}

func unescapeLoose(s []byte) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\' || s[i+1] == '/') {
			sb.WriteByte(s[i+1])
			i++
			continue
		}
		sb.WriteByte(s[i])
	}
	return sb.String()
}
