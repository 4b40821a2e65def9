package bot

import (
	"sync"
	"time"
)

// Zones caches time.LoadLocation, which reads and parses a zone file on
// every call; the daily paths ask for a channel's zone on every answer
// and every reconciler tick. Only known zones are kept, so the cache is
// bounded by the IANA database, whatever names people type.
type Zones struct {
	mu sync.RWMutex
	m  map[string]*time.Location
}

// NewZones returns an empty cache.
func NewZones() *Zones { return &Zones{m: map[string]*time.Location{}} }

// Load is time.LoadLocation, cached.
func (z *Zones) Load(name string) (*time.Location, error) {
	z.mu.RLock()
	loc, ok := z.m[name]
	z.mu.RUnlock()
	if ok {
		return loc, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	z.mu.Lock()
	z.m[name] = loc
	z.mu.Unlock()
	return loc, nil
}
