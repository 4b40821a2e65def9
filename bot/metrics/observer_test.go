package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/mlsdbot/mlsd/bot"
)

// TestObserver feeds the events bot/slack and bot/discord report through
// Config.Observe and checks where each lands.
func TestObserver(t *testing.T) {
	tests := []struct {
		name     string
		platform bot.Platform
		event    string
		labels   []string
		metric   func(m *Metrics) prometheus.Collector
		want     float64
	}{
		{"slack post", bot.Slack, "outbound", []string{"chat.postMessage"},
			func(m *Metrics) prometheus.Collector { return m.outbound.WithLabelValues("slack", "chat.postmessage") }, 1},
		{"discord post", bot.Discord, "outbound", []string{"new_thread"},
			func(m *Metrics) prometheus.Collector { return m.outbound.WithLabelValues("discord", "new_thread") }, 1},
		{"slack 429", bot.Slack, "rate_limited", nil,
			func(m *Metrics) prometheus.Collector { return m.rateLimited.WithLabelValues("slack") }, 1},
		{"discord 429 drops the URL", bot.Discord, "rate_limited", []string{"https://discord.com/api/v9/channels/1234567890/messages"},
			func(m *Metrics) prometheus.Collector { return m.rateLimited.WithLabelValues("discord") }, 1},
		{"slack error code", bot.Slack, "slack_error", []string{"missing_scope"},
			func(m *Metrics) prometheus.Collector {
				return m.outboundErrors.WithLabelValues("slack", "missing_scope")
			}, 1},
		{"discord failed call", bot.Discord, "error", []string{"start thread"},
			func(m *Metrics) prometheus.Collector {
				return m.outboundErrors.WithLabelValues("discord", "start_thread")
			}, 1},
		{"discord panic", bot.Discord, "error", []string{"panic"},
			func(m *Metrics) prometheus.Collector { return m.panics.WithLabelValues("discord") }, 1},
		{"discord bad signature", bot.Discord, "error", []string{"bad_signature"},
			func(m *Metrics) prometheus.Collector {
				return m.httpRejected.WithLabelValues("discord", "bad_signature")
			}, 1},
		{"discord handle error counted by the handler", bot.Discord, "error", []string{"handle"},
			func(m *Metrics) prometheus.Collector { return m.outboundErrors }, 0},
		{"slack panic", bot.Slack, "panic", nil,
			func(m *Metrics) prometheus.Collector { return m.panics.WithLabelValues("slack") }, 1},
		{"slack rejected", bot.Slack, "http_rejected", []string{"stale_timestamp"},
			func(m *Metrics) prometheus.Collector {
				return m.httpRejected.WithLabelValues("slack", "stale_timestamp")
			}, 1},
		{"slack retry", bot.Slack, "redelivery", nil,
			func(m *Metrics) prometheus.Collector { return m.redeliveries.WithLabelValues("slack") }, 1},
		{"adapter duplicate", bot.Discord, "duplicate", nil,
			func(m *Metrics) prometheus.Collector { return m.duplicates.WithLabelValues("discord") }, 1},
		{"inbound counted by the handler", bot.Slack, "inbound", []string{"reply"},
			func(m *Metrics) prometheus.Collector { return m.inboundEvents }, 0},
		{"gateway up", bot.Discord, "gateway", []string{"connected"},
			func(m *Metrics) prometheus.Collector { return m.connected.WithLabelValues("discord") }, 1},
		{"gateway event", bot.Discord, "gateway", []string{"resumed"},
			func(m *Metrics) prometheus.Collector { return m.gateway.WithLabelValues("discord", "resumed") }, 1},
		{"lease acquired", bot.Discord, "lease", []string{"acquired"},
			func(m *Metrics) prometheus.Collector { return m.leaseHeld.WithLabelValues("discord") }, 1},
		{"lease event", bot.Discord, "lease", []string{"standby"},
			func(m *Metrics) prometheus.Collector { return m.leaseEvents.WithLabelValues("discord", "standby") }, 1},
		{"unknown event", bot.Slack, "socket_reconnect", nil,
			func(m *Metrics) prometheus.Collector {
				return m.otherEvents.WithLabelValues("slack", "socket_reconnect")
			}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			m.Observer(tt.platform)(tt.event, tt.labels...)
			c := tt.metric(m)
			var got float64
			if tt.want == 0 {
				got = float64(testutil.CollectAndCount(c))
			} else {
				got = testutil.ToFloat64(c)
			}
			if got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestObserverState: gauges follow the connection and the lease.
func TestObserverState(t *testing.T) {
	m := New()
	observe := m.Observer(bot.Discord)
	steps := []struct {
		event, label            string
		wantConnected, wantHeld float64
	}{
		{"lease", "acquired", 0, 1},
		{"gateway", "connected", 1, 1},
		{"gateway", "disconnected", 0, 1},
		{"gateway", "resumed", 1, 1},
		{"lease", "lost", 1, 0},
		{"gateway", "disconnected", 0, 0},
	}
	for i, s := range steps {
		observe(s.event, s.label)
		if got := testutil.ToFloat64(m.connected.WithLabelValues("discord")); got != s.wantConnected {
			t.Fatalf("step %d (%s %s): connected = %v, want %v", i, s.event, s.label, got, s.wantConnected)
		}
		if got := testutil.ToFloat64(m.leaseHeld.WithLabelValues("discord")); got != s.wantHeld {
			t.Fatalf("step %d (%s %s): lease held = %v, want %v", i, s.event, s.label, got, s.wantHeld)
		}
	}
}

// TestSlackConnectionGauge (issue 12, "Also"): Slack's Socket Mode
// readiness sets mlsd_platform_connected{platform="slack"}, which nothing
// set before.
func TestSlackConnectionGauge(t *testing.T) {
	m := New()
	observe := m.Observer(bot.Slack)
	for i, s := range []struct {
		event string
		want  float64
	}{{"ready", 1}, {"not_ready", 0}, {"ready", 1}} {
		observe(s.event)
		if got := testutil.ToFloat64(m.connected.WithLabelValues("slack")); got != s.want {
			t.Fatalf("step %d (%s): slack connected = %v, want %v", i, s.event, got, s.want)
		}
	}
}

// TestObserverNoIDs: whatever ids adapters pass, none reaches the scrape.
func TestObserverNoIDs(t *testing.T) {
	m := New()
	for _, p := range []bot.Platform{bot.Slack, bot.Discord} {
		observe := m.Observer(p)
		observe("rate_limited", "https://discord.com/api/v9/channels/987654321012345678/messages")
		observe("outbound", "in_thread", "C0123SECRET", "987654321012345678")
		observe("lease", "acquired", "shard-0", "host-987654321012345678")
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, id := range []string{"987654321012345678", "C0123SECRET", "c0123secret"} {
		if strings.Contains(string(body), id) {
			t.Fatalf("the scrape contains id %q", id)
		}
	}
}
