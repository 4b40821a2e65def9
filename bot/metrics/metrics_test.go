package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/mlsdbot/mlsd/bot"
)

// family finds a gathered metric family and the series matching labels.
func series(t *testing.T, m *Metrics, name string, labels map[string]string) []*dto.Metric {
	t.Helper()
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		var out []*dto.Metric
	next:
		for _, s := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range s.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue next
				}
			}
			out = append(out, s)
		}
		return out
	}
	t.Fatalf("no metric family %s", name)
	return nil
}

func histogramSum(t *testing.T, m *Metrics, name string, labels map[string]string) (float64, uint64) {
	t.Helper()
	var sum float64
	var n uint64
	for _, s := range series(t, m, name, labels) {
		sum += s.GetHistogram().GetSampleSum()
		n += s.GetHistogram().GetSampleCount()
	}
	// Round away float noise from summing durations.
	return float64(int64(sum*1e6+0.5)) / 1e6, n
}

func histogramCount(t *testing.T, m *Metrics, name string, labels map[string]string) uint64 {
	t.Helper()
	_, n := histogramSum(t, m, name, labels)
	return n
}

// TestScrape records one of everything, scrapes the handler over HTTP and
// parses the text format.
func TestScrape(t *testing.T) {
	m := New()
	m.InterviewStarted(bot.Slack)
	m.InterviewCompleted(bot.Discord)
	m.InterviewAbandoned(bot.Console)
	m.AnswerGraded(bot.Slack, 2*time.Millisecond)
	m.InboundHandled(bot.Discord, "form", 30*time.Millisecond, nil)
	m.InboundHandled(bot.Discord, "form", 30*time.Millisecond, errors.New("x"))
	m.DuplicateDropped(bot.Slack)
	m.OutboundSent(bot.Slack, "chat.postMessage")
	m.RateLimitWait(bot.Slack)
	m.OutboundError(bot.Slack, "not_in_channel")
	m.PlatformConnected(bot.Discord, true)
	m.StoreOperation("save", time.Millisecond, bot.ErrUnavailable)
	m.StoreOperation("save", time.Millisecond, fmt.Errorf("wrapped: %w", bot.ErrConflict))
	m.SchedulerPosted(bot.Slack)
	m.SchedulerClaimLost(bot.Slack)

	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || !strings.Contains(ct, "version=0.0.4") {
		t.Fatalf("Content-Type %q, want the Prometheus text format", ct)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("the scrape does not parse: %v\n%s", err, body)
	}

	want := map[string]string{ // family → one series line that must be present
		"mlsd_interviews_started_total":          `mlsd_interviews_started_total{platform="slack"} 1`,
		"mlsd_interviews_completed_total":        `mlsd_interviews_completed_total{platform="discord"} 1`,
		"mlsd_interviews_abandoned_total":        `mlsd_interviews_abandoned_total{platform="console"} 1`,
		"mlsd_answers_graded_total":              `mlsd_answers_graded_total{platform="slack"} 1`,
		"mlsd_grading_duration_seconds":          `mlsd_grading_duration_seconds_bucket{le="0.0025"} 1`,
		"mlsd_inbound_events_total":              `mlsd_inbound_events_total{kind="form",platform="discord"} 2`,
		"mlsd_inbound_errors_total":              `mlsd_inbound_errors_total{kind="form",platform="discord"} 1`,
		"mlsd_inbound_handle_duration_seconds":   `mlsd_inbound_handle_duration_seconds_count{kind="form",platform="discord"} 2`,
		"mlsd_duplicates_dropped_total":          `mlsd_duplicates_dropped_total{platform="slack"} 1`,
		"mlsd_outbound_messages_total":           `mlsd_outbound_messages_total{kind="chat.postmessage",platform="slack"} 1`,
		"mlsd_outbound_rate_limit_waits_total":   `mlsd_outbound_rate_limit_waits_total{platform="slack"} 1`,
		"mlsd_outbound_errors_total":             `mlsd_outbound_errors_total{platform="slack",reason="not_in_channel"} 1`,
		"mlsd_platform_connected":                `mlsd_platform_connected{platform="discord"} 1`,
		"mlsd_store_operation_duration_seconds":  `mlsd_store_operation_duration_seconds_count{operation="save"} 2`,
		"mlsd_store_errors_total":                `mlsd_store_errors_total{error="unavailable",operation="save"} 1`,
		"mlsd_store_rejections_total":            `mlsd_store_rejections_total{operation="save",reason="conflict"} 1`,
		"mlsd_scheduler_posts_total":             `mlsd_scheduler_posts_total{platform="slack"} 1`,
		"mlsd_scheduler_claims_lost_total":       `mlsd_scheduler_claims_lost_total{platform="slack"} 1`,
		"go_goroutines":                          "",
		"go_build_info":                          "",
		"promhttp_metric_handler_errors_total":   "",
		"mlsd_interviews_started_total/discord0": `mlsd_interviews_started_total{platform="discord"} 0`,
	}
	for name, line := range want {
		family, _, _ := strings.Cut(name, "/")
		if _, ok := families[family]; !ok {
			t.Errorf("family %s missing from the scrape", family)
		}
		if line != "" && !strings.Contains(string(body), line+"\n") {
			t.Errorf("scrape lacks %q", line)
		}
	}

	// The metrics follow Prometheus naming and help conventions.
	problems, err := promlint.New(strings.NewReader(string(body))).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "mlsd_") {
			t.Errorf("promlint: %s: %s", p.Metric, p.Text)
		}
	}
}

// TestOwnRegistry: New never touches the global registry, so it can be
// called more than once (tests, several bots in one process).
func TestOwnRegistry(t *testing.T) {
	a, b := New(), New()
	a.InterviewStarted(bot.Slack)
	if got := testutil.ToFloat64(b.interviewsStarted.WithLabelValues("slack")); got != 0 {
		t.Fatalf("second Metrics sees the first's count: %v", got)
	}
	n, err := testutil.GatherAndCount(prometheus.DefaultGatherer, "mlsd_interviews_started_total")
	if err != nil || n != 0 {
		t.Fatalf("global registry holds %d mlsd series (%v), want 0", n, err)
	}
}

func TestStoreErrorClasses(t *testing.T) {
	tests := []struct {
		err           error
		metric, label string
	}{
		{bot.ErrNotFound, "rejected", "not_found"},
		{bot.ErrConflict, "rejected", "conflict"},
		{fmt.Errorf("save: %w", bot.ErrDuplicate), "rejected", "duplicate"},
		{bot.ErrNotActive, "rejected", "not_active"},
		{fmt.Errorf("redis: %w", bot.ErrUnavailable), "errors", "unavailable"},
		{context.DeadlineExceeded, "errors", "timeout"},
		{fmt.Errorf("op: %w", context.Canceled), "errors", "canceled"},
		{errors.New("disk on fire"), "errors", "other"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			m := New()
			m.StoreOperation("thread", time.Millisecond, tt.err)
			hit, other := m.storeErrors, m.storeRejected
			if tt.metric == "rejected" {
				hit, other = m.storeRejected, m.storeErrors
			}
			c := hit.WithLabelValues("thread", tt.label)
			if got := testutil.ToFloat64(c); got != 1 {
				t.Fatalf("%s{%s} = %v, want 1", tt.metric, tt.label, got)
			}
			if n := testutil.CollectAndCount(other); n != 0 {
				t.Fatalf("the other error metric has %d series, want 0", n)
			}
		})
	}
	m := New()
	m.StoreOperation("stats", time.Millisecond, nil)
	if n := testutil.CollectAndCount(m.storeErrors) + testutil.CollectAndCount(m.storeRejected); n != 0 {
		t.Fatalf("a successful call created %d error series", n)
	}
}

// TestLabelCardinality: free-form values are sanitised and capped, and an
// unknown platform is "other".
func TestLabelCardinality(t *testing.T) {
	m := New()
	for i := range 500 {
		m.OutboundError(bot.Platform(fmt.Sprintf("p%d", i)), fmt.Sprintf("code_%d", i))
	}
	if n := testutil.CollectAndCount(m.outboundErrors); n != maxLabelValues+1 {
		t.Fatalf("outbound error series = %d, want %d (capped, plus other)", n, maxLabelValues+1)
	}
	if got := testutil.ToFloat64(m.outboundErrors.WithLabelValues("other", "other")); got != 500-maxLabelValues {
		t.Fatalf("overflow series = %v, want %d", got, 500-maxLabelValues)
	}

	tests := []struct{ in, want string }{
		{"chat.postMessage", "chat.postmessage"},
		{"start thread", "start_thread"},
		{"https://discord.com/api/v9/channels/123/messages", "https___discord.com_api_v9_channels_123_messages"},
		{strings.Repeat("x", 60), strings.Repeat("x", maxLabelLen)},
		{"  ", "none"},
		{"<!channel> é", "__channel___"},
	}
	for _, tt := range tests {
		if got := sanitize(tt.in); got != tt.want {
			t.Errorf("sanitize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestNilMetrics: adapters may hold a nil *Metrics when metrics are off.
func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.InterviewStarted(bot.Slack)
	m.AnswerGraded(bot.Slack, time.Second)
	m.InboundHandled(bot.Slack, "reply", time.Second, nil)
	m.OutboundSent(bot.Slack, "x")
	m.StoreOperation("save", time.Second, errors.New("x"))
	m.SchedulerPosted(bot.Slack)
	m.Observer(bot.Slack)("outbound", "x")
}

// TestJudgeRead: each AI judge reading counts once by result, with the
// quotes its evidence check refused and the tokens it cost.
func TestJudgeRead(t *testing.T) {
	m := New()
	m.JudgeRead(bot.JudgeOutcome{Platform: bot.Slack, Result: "ok", QuotesRejected: 2, Tokens: 300})
	m.JudgeRead(bot.JudgeOutcome{Platform: bot.Slack, Result: bot.JudgeTimeout})
	m.JudgeRead(bot.JudgeOutcome{Platform: bot.Discord, Result: "cached"})
	for _, tt := range []struct {
		c    prometheus.Collector
		want float64
	}{
		{m.llmReadings.WithLabelValues("slack", "ok"), 1},
		{m.llmReadings.WithLabelValues("slack", "timeout"), 1},
		{m.llmReadings.WithLabelValues("discord", "cached"), 1},
		{m.llmQuotesRejected, 2},
		{m.llmTokens, 300},
	} {
		if got := testutil.ToFloat64(tt.c); got != tt.want {
			t.Errorf("%v = %v, want %v", tt.c, got, tt.want)
		}
	}
}
