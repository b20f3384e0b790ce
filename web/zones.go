package web

import (
	"sync"
	"time"
)

// zones loads the time zones users read times in, each once: a zone is
// read from the system's tz database, which is too slow for every request.
type zones struct {
	business *time.Location // for users who chose none
	mu       sync.Mutex
	loaded   map[string]*time.Location
}

func newZones(business *time.Location) *zones {
	return &zones{business: business, loaded: map[string]*time.Location{}}
}

// of returns the zone named name, or the business zone for "" or a name
// that is no longer a zone.
func (z *zones) of(name string) *time.Location {
	if name == "" {
		return z.business
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	if loc, ok := z.loaded[name]; ok {
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = z.business
	}
	z.loaded[name] = loc
	return loc
}
