// Package metrics exposes what MLSD is doing in the Prometheus text format.
// It is the only importer of github.com/prometheus/client_golang; callers
// see plain Go types only.
//
// Wiring (cmd/mlsd):
//
//	m := metrics.New()
//	store := metrics.InstrumentStore(rawStore, m)   // store latency, errors, interview lifecycle, duplicates;
//	                                                // keeps Ping and Acquire/Release when rawStore has them
//	b, _ := bot.New(bot.Config{Store: store, ...})
//	iv := metrics.InstrumentHandler(b, m)           // inbound events, answers graded, grading latency
//	slackCfg.Interviewer, slackCfg.Observe = iv, m.Observer(bot.Slack)
//	discordCfg.Interviewer, discordCfg.Observe = iv, m.Observer(bot.Discord)
//	mux.Handle("GET /metrics", m.Handler())
//
// With both decorators in place nothing else needs calling except the
// scheduler's SchedulerPosted and SchedulerClaimLost. The other recording
// methods exist for code paths that bypass the decorators; calling them as
// well would count twice.
//
// Label values are bounded: platforms are slack, discord, console or other;
// inbound kinds are fixed; free-form values (outbound kinds, error codes,
// adapter event names) are sanitised and capped at maxLabelValues distinct
// values per metric, beyond which they read "other". No user, channel,
// workspace or message id ever becomes a label.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mlsdbot/mlsd/bot"
)

const namespace = "mlsd"

// maxLabelValues caps the distinct values one free-form label may take.
const maxLabelValues = 32

// Histogram buckets in seconds.
var (
	// Redis answers in ~0.1-1 ms, bbolt commits (fsync) in ~1-10 ms; the
	// tail up to seconds shows outages and client timeouts.
	storeBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}
	// The rubric grader is in-process and takes micro- to milliseconds,
	// a final report a few milliseconds.
	gradingBuckets = []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1}
	// Handling an event includes its store round trips.
	handleBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
)

// knownPlatforms get their series created at zero by New, so that rate()
// and alerts work from the first event.
var knownPlatforms = []bot.Platform{bot.Slack, bot.Discord, bot.Console}

// Metrics records what the bot does. Build it with New; all methods are
// safe for concurrent use, and a nil *Metrics records nothing.
type Metrics struct {
	reg     *prometheus.Registry
	handler http.Handler
	// now times decorated calls; tests replace it.
	now func() time.Time

	interviewsStarted   *prometheus.CounterVec
	interviewsCompleted *prometheus.CounterVec
	interviewsAbandoned *prometheus.CounterVec
	answersGraded       *prometheus.CounterVec
	gradingSeconds      prometheus.Histogram

	inboundEvents  *prometheus.CounterVec
	inboundErrors  *prometheus.CounterVec
	inboundSeconds *prometheus.HistogramVec
	inboundActive  *prometheus.GaugeVec
	duplicates     *prometheus.CounterVec
	redeliveries   *prometheus.CounterVec
	httpRejected   *prometheus.CounterVec
	panics         *prometheus.CounterVec

	outbound       *prometheus.CounterVec
	rateLimited    *prometheus.CounterVec
	outboundErrors *prometheus.CounterVec

	connected   *prometheus.GaugeVec
	leaseHeld   *prometheus.GaugeVec
	leaseEvents *prometheus.CounterVec
	gateway     *prometheus.CounterVec
	otherEvents *prometheus.CounterVec

	storeSeconds  *prometheus.HistogramVec
	storeErrors   *prometheus.CounterVec
	storeRejected *prometheus.CounterVec

	schedulerPosts      *prometheus.CounterVec
	schedulerClaimsLost *prometheus.CounterVec
	llmReadings         *prometheus.CounterVec
	llmQuotesRejected   prometheus.Counter
	llmTokens           prometheus.Counter

	// guards cap each free-form label, keyed by metric and label name.
	guardsMu sync.Mutex
	guards   map[string]*labelGuard
}

// New builds the metrics on a registry of their own (never the global
// one), with the Go runtime, process and build-info collectors.
func New() *Metrics {
	m := &Metrics{
		reg:    prometheus.NewRegistry(),
		now:    time.Now,
		guards: make(map[string]*labelGuard),
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
		m.reg.MustRegister(c)
		return c
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, labels)
		m.reg.MustRegister(g)
		return g
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets}, labels)
		m.reg.MustRegister(h)
		return h
	}

	m.interviewsStarted = counter("interviews_started_total", "Interviews started (new sessions saved).", "platform")
	m.interviewsCompleted = counter("interviews_completed_total", "Interviews completed with a final report.", "platform")
	m.interviewsAbandoned = counter("interviews_abandoned_total", "Interviews ended without a report (the user ended them or they were abandoned).", "platform")
	m.answersGraded = counter("answers_graded_total", "Answers graded and saved.", "platform")
	m.gradingSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: namespace, Name: "grading_duration_seconds", Buckets: gradingBuckets,
		Help: "Time the engine spent on one answer: from its session being loaded to the graded state being handed to the store (grading, follow-up choice and, on the last answer, the report; no store round trips).",
	})
	m.reg.MustRegister(m.gradingSeconds)

	m.inboundEvents = counter("inbound_events_total", "Inbound events handed to the interviewer, by platform and kind.", "platform", "kind")
	m.inboundErrors = counter("inbound_errors_total", "Inbound events whose handling failed inside MLSD (the user saw an apology).", "platform", "kind")
	m.inboundSeconds = histogram("inbound_handle_duration_seconds", "Time to handle one inbound event, store round trips included and chat delivery excluded.", handleBuckets, "platform", "kind")
	m.inboundActive = gauge("inbound_in_flight", "Inbound events being handled now.", "platform")
	m.duplicates = counter("duplicates_dropped_total", "Redelivered events and replayed answers dropped by de-duplication.", "platform")
	m.redeliveries = counter("redeliveries_total", "Deliveries the platform marked as retries (they are then de-duplicated).", "platform")
	m.httpRejected = counter("http_rejected_total", "HTTP-mode requests rejected (bad or stale signature, oversized body...).", "platform", "reason")
	m.panics = counter("panics_total", "Panics recovered while handling platform events.", "platform")

	m.outbound = counter("outbound_messages_total", "Messages and views sent to the platform, by platform and kind.", "platform", "kind")
	m.rateLimited = counter("outbound_rate_limit_waits_total", "Times a send waited because the platform answered 429 (rate limited).", "platform")
	m.outboundErrors = counter("outbound_errors_total", "Platform API calls that failed, by platform and reason (the platform's error code or the call).", "platform", "reason")

	m.connected = gauge("platform_connected", "1 while this replica's connection to the platform is up (Socket Mode, gateway).", "platform")
	m.leaseHeld = gauge("lease_held", "1 while this replica holds the gateway lease.", "platform")
	m.leaseEvents = counter("lease_events_total", "Gateway lease events: acquired, lost, standby, released.", "platform", "event")
	m.gateway = counter("gateway_events_total", "Gateway connection events: connected, disconnected, resumed.", "platform", "event")
	m.otherEvents = counter("adapter_events_total", "Adapter events with no dedicated metric.", "platform", "event")

	m.storeSeconds = histogram("store_operation_duration_seconds", "Store operation latency by operation, failures included.", storeBuckets, "operation")
	m.storeErrors = counter("store_errors_total", "Store operations that failed: unavailable, timeout, canceled or other.", "operation", "error")
	m.storeRejected = counter("store_rejections_total", "Store answers that are part of the contract, not failures: not_found, conflict (another writer won), duplicate, not_active.", "operation", "reason")

	m.schedulerPosts = counter("scheduler_posts_total", "Scheduled daily posts made by this replica.", "platform")
	m.schedulerClaimsLost = counter("scheduler_claims_lost_total", "Scheduled posts skipped because another replica claimed them first.", "platform")
	m.llmReadings = counter("llm_readings_total", "AI judge readings of an answer by result: ok, cached, injection (not sent), budget, timeout, rate_limited, unavailable, bad_output.", "platform", "result")
	m.llmQuotesRejected = counter("llm_quotes_rejected_total", "Quotes in AI judge verdicts not found in the answer (or too short): their credit is dropped.").WithLabelValues()
	m.llmTokens = counter("llm_tokens_total", "Tokens the AI judge endpoint reported using.").WithLabelValues()

	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	)

	for _, p := range knownPlatforms {
		l := string(p)
		for _, c := range []*prometheus.CounterVec{
			m.interviewsStarted, m.interviewsCompleted, m.interviewsAbandoned, m.answersGraded,
			m.duplicates, m.rateLimited, m.schedulerPosts, m.schedulerClaimsLost,
		} {
			c.WithLabelValues(l)
		}
	}
	for _, op := range storeOps {
		m.storeSeconds.WithLabelValues(op)
	}

	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		// A collector failing must not hide every other metric.
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg,
	})
	return m
}

// Handler serves the metrics in the Prometheus text exposition format
// (mount it at /metrics).
func (m *Metrics) Handler() http.Handler { return m.handler }

// InterviewStarted counts a new interview. InstrumentStore calls it.
func (m *Metrics) InterviewStarted(p bot.Platform) {
	if m != nil {
		m.interviewsStarted.WithLabelValues(platformLabel(p)).Inc()
	}
}

// InterviewCompleted counts an interview finished with a report.
// InstrumentStore calls it.
func (m *Metrics) InterviewCompleted(p bot.Platform) {
	if m != nil {
		m.interviewsCompleted.WithLabelValues(platformLabel(p)).Inc()
	}
}

// InterviewAbandoned counts an interview ended without a report.
// InstrumentStore calls it.
func (m *Metrics) InterviewAbandoned(p bot.Platform) {
	if m != nil {
		m.interviewsAbandoned.WithLabelValues(platformLabel(p)).Inc()
	}
}

// AnswerGraded counts one graded answer and records how long the engine
// took on it. InstrumentHandler (with InstrumentStore) calls it.
func (m *Metrics) AnswerGraded(p bot.Platform, took time.Duration) {
	if m != nil {
		m.answersGraded.WithLabelValues(platformLabel(p)).Inc()
		m.gradingSeconds.Observe(took.Seconds())
	}
}

// InboundHandled records one inbound event handled in took; err is what
// the handler returned. InstrumentHandler calls it (kind "home" is the
// Slack Home tab).
func (m *Metrics) InboundHandled(p bot.Platform, kind string, took time.Duration, err error) {
	if m == nil {
		return
	}
	pl, k := platformLabel(p), m.guard("inbound", "kind", kind)
	m.inboundEvents.WithLabelValues(pl, k).Inc()
	m.inboundSeconds.WithLabelValues(pl, k).Observe(took.Seconds())
	if err != nil {
		m.inboundErrors.WithLabelValues(pl, k).Inc()
	}
}

// DuplicateDropped counts a redelivered event or replayed answer that was
// dropped. InstrumentStore calls it.
func (m *Metrics) DuplicateDropped(p bot.Platform) {
	if m != nil {
		m.duplicates.WithLabelValues(platformLabel(p)).Inc()
	}
}

// OutboundSent counts one message (or view, modal...) sent to a platform;
// kind is a small fixed word such as "chat.postMessage" or "in_thread".
func (m *Metrics) OutboundSent(p bot.Platform, kind string) {
	if m != nil {
		m.outbound.WithLabelValues(platformLabel(p), m.guard("outbound", "kind", kind)).Inc()
	}
}

// RateLimitWait counts one wait imposed by a platform's rate limit.
func (m *Metrics) RateLimitWait(p bot.Platform) {
	if m != nil {
		m.rateLimited.WithLabelValues(platformLabel(p)).Inc()
	}
}

// OutboundError counts a failed platform call; reason is the platform's
// error code or the call that failed, never an id.
func (m *Metrics) OutboundError(p bot.Platform, reason string) {
	if m != nil {
		m.outboundErrors.WithLabelValues(platformLabel(p), m.guard("outbound_errors", "reason", reason)).Inc()
	}
}

// PlatformConnected sets whether this replica's connection to p is up.
func (m *Metrics) PlatformConnected(p bot.Platform, up bool) {
	if m != nil {
		m.connected.WithLabelValues(platformLabel(p)).Set(boolFloat(up))
	}
}

// StoreOperation records one store call: its latency, and its error if it
// failed. InstrumentStore calls it; use it directly for store calls that
// bypass bot.Store (leases, pings).
func (m *Metrics) StoreOperation(op string, took time.Duration, err error) {
	if m == nil {
		return
	}
	op = m.guard("store", "operation", op)
	m.storeSeconds.WithLabelValues(op).Observe(took.Seconds())
	if err == nil {
		return
	}
	if reason, ok := contractAnswer(err); ok {
		m.storeRejected.WithLabelValues(op, reason).Inc()
		return
	}
	m.storeErrors.WithLabelValues(op, failureClass(err)).Inc()
}

// SchedulerPosted counts one scheduled post made by this replica.
func (m *Metrics) SchedulerPosted(p bot.Platform) {
	if m != nil {
		m.schedulerPosts.WithLabelValues(platformLabel(p)).Inc()
	}
}

// SchedulerClaimLost counts a scheduled post another replica claimed first.
func (m *Metrics) SchedulerClaimLost(p bot.Platform) {
	if m != nil {
		m.schedulerClaimsLost.WithLabelValues(platformLabel(p)).Inc()
	}
}

// JudgeRead records one AI judge reading (bot.AIJudge.Observe).
func (m *Metrics) JudgeRead(o bot.JudgeOutcome) {
	if m == nil {
		return
	}
	m.llmReadings.WithLabelValues(platformLabel(o.Platform), m.guard("llm_readings_total", "result", o.Result)).Inc()
	m.llmQuotesRejected.Add(float64(o.QuotesRejected))
	m.llmTokens.Add(float64(max(0, o.Tokens)))
}

// contractAnswer names the store errors that are expected answers of the
// bot.Store contract rather than failures.
func contractAnswer(err error) (string, bool) {
	switch {
	case errors.Is(err, bot.ErrNotFound):
		return "not_found", true
	case errors.Is(err, bot.ErrNotActive):
		return "not_active", true
	case errors.Is(err, bot.ErrDuplicate):
		return "duplicate", true
	case errors.Is(err, bot.ErrConflict):
		return "conflict", true
	}
	return "", false
}

func failureClass(err error) string {
	switch {
	case errors.Is(err, bot.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "other"
}

// platformLabel maps a platform to one of a fixed set of label values.
func platformLabel(p bot.Platform) string {
	switch p {
	case bot.Slack, bot.Discord, bot.Console:
		return string(p)
	}
	return "other"
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// guard returns value as a label value of metric's label, sanitised and
// capped: after maxLabelValues distinct values every new one is "other".
func (m *Metrics) guard(metric, label, value string) string {
	key := metric + "/" + label
	m.guardsMu.Lock()
	g := m.guards[key]
	if g == nil {
		g = &labelGuard{seen: make(map[string]bool)}
		m.guards[key] = g
	}
	m.guardsMu.Unlock()
	return g.admit(sanitize(value))
}

type labelGuard struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (g *labelGuard) admit(v string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen[v] {
		return v
	}
	if len(g.seen) >= maxLabelValues {
		return "other"
	}
	g.seen[v] = true
	return v
}

// maxLabelLen keeps a label value short; real values are single words.
const maxLabelLen = 48

// sanitize lower-cases value and keeps letters, digits and . _ - only
// (others become _), so that a value can never smuggle an id with
// punctuation or a URL into a label.
func sanitize(value string) string {
	value = strings.ToLower(strings.TrimSpace(value))
	if value == "" {
		return "none"
	}
	if len(value) > maxLabelLen {
		value = value[:maxLabelLen]
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, value)
}
