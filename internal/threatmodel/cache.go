package threatmodel

import (
	"crypto/sha256"
	"slices"
	"sync"
)

// checkCache memoises parsed and checked models by the SHA-256 of their
// source: a stored model is parsed and checked once per content and rule
// library, not on every request (a 2 MB model takes seconds).
type checkCache struct {
	mu    sync.Mutex
	order [][32]byte
	items map[[32]byte]checked
}

type checked struct {
	model *Model
	res   *Result
}

const checkCacheSize = 32

// CheckSource parses a model source (any format Parse reads) and checks it
// with the library, memoised by content. The model is shared between
// callers and must not be modified; the result is the caller's own copy
// (its threats may be changed, e.g. to apply tracking).
func (l *Library) CheckSource(src []byte, name string) (*Model, *Result, error) {
	key := sha256.Sum256(src)
	l.cache.mu.Lock()
	c, ok := l.cache.items[key]
	l.cache.mu.Unlock()
	if !ok {
		m, err := Parse(src, name)
		if err != nil {
			return nil, nil, err
		}
		c = checked{model: m, res: l.Check(m)}
		l.cache.put(key, c)
	}
	res := *c.res
	res.Threats = slices.Clone(c.res.Threats)
	res.Warnings = slices.Clone(c.res.Warnings)
	return c.model, &res, nil
}

func (c *checkCache) put(key [32]byte, v checked) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.items = map[[32]byte]checked{}
	}
	if _, ok := c.items[key]; ok {
		return
	}
	if len(c.order) >= checkCacheSize {
		delete(c.items, c.order[0])
		c.order = c.order[1:]
	}
	c.order = append(c.order, key)
	c.items[key] = v
}
