package bolt

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/mlsdbot/mlsd/bot/storetest"
)

// TestForgetLeavesNothing runs storetest.RunForget with a scan of every
// key and value of every bucket in the file.
func TestForgetLeavesNothing(t *testing.T) {
	storetest.RunForget(t, func(t *testing.T) (storetest.ForgetStore, storetest.Scanner) {
		s, err := Open(filepath.Join(t.TempDir(), "mlsd.db"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s, func(t *testing.T, needle string) []string {
			var hits []string
			err := s.db.View(func(tx *bbolt.Tx) error {
				return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
					return b.ForEach(func(k, v []byte) error {
						if bytes.Contains(k, []byte(needle)) || bytes.Contains(v, []byte(needle)) {
							hits = append(hits, fmt.Sprintf("bucket %s, key %q, value %.120q", name, k, v))
						}
						return nil
					})
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			return hits
		}
	})
}
