package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
)

// RunRateLimiter runs the contract suite of bot.RateLimiter. newLimiter is
// called once per subtest; the limiter reads no clock, so the cases pass
// their own now.
func RunRateLimiter(t *testing.T, newLimiter func(t *testing.T) bot.RateLimiter) {
	t.Helper()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	rate := bot.Rate{Every: 100 * ms, Burst: 3}
	reserve := func(t *testing.T, l bot.RateLimiter, key string, r bot.Rate, now time.Time) time.Duration {
		t.Helper()
		d, err := l.Reserve(context.Background(), key, r, now)
		if err != nil {
			t.Fatalf("Reserve(%q, %v, %v) = %v", key, r, now, err)
		}
		return d
	}
	cases := []struct {
		name string
		run  func(t *testing.T, l bot.RateLimiter, key string)
	}{
		{"a burst goes at once, then one slot per interval", func(t *testing.T, l bot.RateLimiter, key string) {
			var got []time.Duration
			for range 6 {
				got = append(got, reserve(t, l, key, rate, t0))
			}
			want := []time.Duration{0, 0, 0, 100 * ms, 200 * ms, 300 * ms}
			if !slices.Equal(got, want) {
				t.Fatalf("waits of 6 reservations at once = %v, want %v", got, want)
			}
		}},
		{"time refills the budget", func(t *testing.T, l bot.RateLimiter, key string) {
			for range 3 {
				reserve(t, l, key, rate, t0)
			}
			// 150 ms later one and a half slots came back: one goes now,
			// the next 50 ms later.
			if got := []time.Duration{reserve(t, l, key, rate, t0.Add(150*ms)), reserve(t, l, key, rate, t0.Add(150*ms))}; !slices.Equal(got, []time.Duration{0, 50 * ms}) {
				t.Fatalf("waits after 150 ms = %v, want [0 50ms]", got)
			}
			// A quiet minute gives the whole burst back, and no more.
			later := t0.Add(time.Minute)
			var got []time.Duration
			for range 4 {
				got = append(got, reserve(t, l, key, rate, later))
			}
			if want := []time.Duration{0, 0, 0, 100 * ms}; !slices.Equal(got, want) {
				t.Fatalf("waits after a quiet minute = %v, want %v", got, want)
			}
		}},
		{"budgets are independent", func(t *testing.T, l bot.RateLimiter, key string) {
			one := bot.Rate{Every: time.Second, Burst: 1}
			if d := reserve(t, l, key+"-a", one, t0); d != 0 {
				t.Fatalf("first slot of a = %v, want 0", d)
			}
			if d := reserve(t, l, key+"-b", one, t0); d != 0 {
				t.Fatalf("first slot of b after a's = %v, want 0", d)
			}
			if d := reserve(t, l, key+"-a", one, t0); d != time.Second {
				t.Fatalf("second slot of a = %v, want 1s", d)
			}
		}},
		{"a hold delays every later slot and is never shortened", func(t *testing.T, l bot.RateLimiter, key string) {
			ctx := context.Background()
			if err := l.Hold(ctx, key, rate, t0.Add(5*time.Second)); err != nil {
				t.Fatal(err)
			}
			if err := l.Hold(ctx, key, rate, t0.Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			got := []time.Duration{reserve(t, l, key, rate, t0), reserve(t, l, key, rate, t0), reserve(t, l, key, rate, t0.Add(5*time.Second))}
			// After the hold the budget restarts at its rate, not with a burst.
			if want := []time.Duration{5 * time.Second, 5*time.Second + 100*ms, 200 * ms}; !slices.Equal(got, want) {
				t.Fatalf("waits after holds until +5s and +1s = %v, want %v", got, want)
			}
		}},
		{"concurrent callers get distinct slots", func(t *testing.T, l bot.RateLimiter, key string) {
			one := bot.Rate{Every: 10 * ms, Burst: 1}
			const n = 40
			got := make([]time.Duration, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { got[i] = reserve(t, l, key, one, t0) })
			}
			wg.Wait()
			slices.Sort(got)
			for i, d := range got {
				if d != time.Duration(i)*10*ms {
					t.Fatalf("sorted waits of %d concurrent reservations = %v, want 0, 10ms, … %v", n, got, (n-1)*10*ms)
				}
			}
		}},
		{"a malformed budget is refused", func(t *testing.T, l bot.RateLimiter, key string) {
			ctx := context.Background()
			for _, c := range []struct {
				key  string
				rate bot.Rate
			}{{"", rate}, {key, bot.Rate{Burst: 1}}, {key, bot.Rate{Every: time.Second}}} {
				if _, err := l.Reserve(ctx, c.key, c.rate, t0); err == nil {
					t.Errorf("Reserve(%q, %+v) = nil error, want a refusal", c.key, c.rate)
				}
				if err := l.Hold(ctx, c.key, c.rate, t0); err == nil {
					t.Errorf("Hold(%q, %+v) = nil error, want a refusal", c.key, c.rate)
				}
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, newLimiter(t), "budget:"+t.Name())
		})
	}
}
