package store

import (
	"sync"
	"time"
)

// ftsCountTTL is how long a search text's index hit count is reused.
const ftsCountTTL = 30 * time.Second

// ftsCountMax bounds the remembered texts; when full, all are forgotten.
const ftsCountMax = 512

// ftsCountCache remembers, for a while, how many FTS5 index hits a
// search text has (capped at ftsCommon), so paging through one search does
// not count the hits again on every page. A stale count is harmless: it
// only chooses how findingText reads the page, never which rows match.
type ftsCountCache struct {
	mu sync.Mutex
	m  map[string]ftsCount
}

type ftsCount struct {
	hits int
	at   time.Time
}

func (c *ftsCountCache) get(phrase string, now time.Time) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[phrase]
	if !ok || now.Sub(e.at) > ftsCountTTL || now.Before(e.at) {
		return 0, false
	}
	return e.hits, true
}

func (c *ftsCountCache) put(phrase string, hits int, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= ftsCountMax {
		c.m = make(map[string]ftsCount)
	}
	c.m[phrase] = ftsCount{hits: hits, at: now}
}
