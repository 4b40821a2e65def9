package bot_test

import (
	"testing"
	"time"

	"github.com/mlsdbot/mlsd/bot"
)

func TestZonesCacheKnownZonesOnly(t *testing.T) {
	z := bot.NewZones()
	a, err := z.Load("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := z.Load("Europe/Berlin"); b != a {
		t.Errorf("second Load returned another *Location: not cached")
	}
	if _, err := z.Load("Mars/Olympus_Mons"); err == nil {
		t.Errorf("unknown zone loaded")
	}
}

// BenchmarkZones compares a cached lookup with time.LoadLocation.
func BenchmarkZones(b *testing.B) {
	b.Run("LoadLocation", func(b *testing.B) {
		for b.Loop() {
			if _, err := time.LoadLocation("America/New_York"); err != nil {
				b.Fatal(err)
			}
		}
	})
	z := bot.NewZones()
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := z.Load("America/New_York"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
