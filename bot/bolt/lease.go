package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	bbolt "go.etcd.io/bbolt"
)

// bucketLeases holds name → leaseRecord. A bbolt file is locked by one
// process, so these leases arbitrate between holders inside it (for
// example two adapters sharing one store in a test); they have the same
// semantics as the Redis ones: take a free or expired lease, renew your
// own by acquiring again, release only your own.
var bucketLeases = []byte("leases")

type leaseRecord struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
}

// Acquire takes the lease name for holder for ttl, or renews it if holder
// already holds it; it reports whether holder holds it now.
func (s *Store) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if name == "" || holder == "" || ttl <= 0 {
		return false, errors.New("bolt: a lease needs a name, a holder and a positive ttl")
	}
	held := false
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketLeases)
		if err != nil {
			return err
		}
		now := s.now()
		var rec leaseRecord
		if raw := b.Get([]byte(name)); raw != nil {
			if err := json.Unmarshal(raw, &rec); err != nil {
				return err
			}
			if rec.Holder != holder && now.Before(rec.Expires) {
				return nil
			}
		}
		raw, err := json.Marshal(leaseRecord{Holder: holder, Expires: now.Add(ttl)})
		if err != nil {
			return err
		}
		held = true
		return b.Put([]byte(name), raw)
	})
	return held, err
}

// Release gives the lease up if holder still holds it.
func (s *Store) Release(ctx context.Context, name, holder string) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketLeases)
		if b == nil {
			return nil
		}
		var rec leaseRecord
		raw := b.Get([]byte(name))
		if raw == nil {
			return nil
		}
		if err := json.Unmarshal(raw, &rec); err != nil {
			return err
		}
		if rec.Holder != holder {
			return nil
		}
		return b.Delete([]byte(name))
	})
}
