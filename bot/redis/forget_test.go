package redis

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mlsdbot/mlsd/bot/storetest"
)

// TestForgetLeavesNothing runs storetest.RunForget with a scan of every
// key under the test's prefix: its name and its whole value, whatever
// its type.
func TestForgetLeavesNothing(t *testing.T) {
	storetest.RunForget(t, func(t *testing.T) (storetest.ForgetStore, storetest.Scanner) {
		s, _ := newTestStore(t, Options{})
		return s, keyScanner(s)
	})
}

// keyScanner reads every key under the store's prefix, name and value,
// for the id RunForget looks for.
func keyScanner(s *Store) storetest.Scanner {
	return func(t *testing.T, needle string) []string {
		ctx := context.Background()
		keys, err := s.scanKeys(ctx, s.keys.prefix+":")
		if err != nil {
			t.Fatal(err)
		}
		var hits []string
		for _, k := range keys {
			if strings.Contains(k, needle) {
				hits = append(hits, "key "+k)
				continue
			}
			var content []string
			switch typ := s.rdb.Type(ctx, k).Val(); typ {
			case "string":
				content = []string{s.rdb.Get(ctx, k).Val()}
			case "hash":
				for f, v := range s.rdb.HGetAll(ctx, k).Val() {
					content = append(content, f, v)
				}
			case "set":
				content = s.rdb.SMembers(ctx, k).Val()
			case "zset":
				content = s.rdb.ZRange(ctx, k, 0, -1).Val()
			case "list":
				content = s.rdb.LRange(ctx, k, 0, -1).Val()
			case "none":
			default:
				t.Fatalf("key %s has type %s, which the scan cannot read", k, typ)
			}
			for _, c := range content {
				if strings.Contains(c, needle) {
					hits = append(hits, fmt.Sprintf("key %s holds %.120q", k, c))
				}
			}
		}
		return hits
	}
}
