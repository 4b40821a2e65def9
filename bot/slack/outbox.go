package slack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// outbox serialises posts per channel and paces them to Slack's
// chat.postMessage limit (about one message per second per channel, with
// short bursts). A 429 parks only that channel for Retry-After and then
// resends the same message: a 429 means Slack did not process it, so
// nothing is lost and nothing is posted twice. Other channels keep going.
type outbox struct {
	rate  float64 // messages per second per channel
	burst int
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
	// onLimited is told about every 429, for logs and metrics.
	onLimited func(channel string, retryAfter time.Duration)
	// shared, when set, paces every message within a budget shared with
	// other replicas: with hold false it waits for the next slot; with
	// hold true (after a 429) it keeps the budget's slots before
	// retryAfter from now free for every replica.
	shared func(ctx context.Context, hold bool, retryAfter time.Duration) error

	mu      sync.Mutex
	queues  map[string]*channelQueue
	buckets map[string]*bucket
	wg      sync.WaitGroup
}

type sendJob struct {
	ctx  context.Context
	do   func(ctx context.Context) (string, error)
	done chan sendResult
}

type sendResult struct {
	ts  string
	err error
}

type channelQueue struct {
	jobs []*sendJob
}

// bucket is a token bucket; tokens may go negative, which is the wait
// the next message owes.
type bucket struct {
	tokens float64
	last   time.Time
}

// defaultRetryAfter is used for a 429 that names no Retry-After.
const defaultRetryAfter = 5 * time.Second

// maxRateLimitRetries bounds the resends of one message after 429s: a
// channel Slack keeps refusing gives the message up (with an error the
// caller logs) instead of holding its queue and the event's run slot.
const maxRateLimitRetries = 5

func newOutbox(rate float64, burst int, now func() time.Time) *outbox {
	return &outbox{
		rate: rate, burst: burst, now: now,
		sleep:     sleepCtx,
		onLimited: func(string, time.Duration) {},
		queues:    make(map[string]*channelQueue),
		buckets:   make(map[string]*bucket),
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// send queues do behind the channel's earlier posts and waits for its
// result. ctx bounds the wait and the call; a job whose ctx ends while
// queued is dropped without being sent.
func (o *outbox) send(ctx context.Context, channel string, do func(ctx context.Context) (string, error)) (string, error) {
	job := &sendJob{ctx: ctx, do: do, done: make(chan sendResult, 1)}
	o.mu.Lock()
	q, running := o.queues[channel]
	if !running {
		q = &channelQueue{}
		o.queues[channel] = q
	}
	q.jobs = append(q.jobs, job)
	if !running {
		o.wg.Add(1)
		go o.drain(channel, q)
	}
	o.mu.Unlock()
	select {
	case r := <-job.done:
		return r.ts, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// wait blocks until every queued post has been sent or dropped.
func (o *outbox) wait() { o.wg.Wait() }

func (o *outbox) drain(channel string, q *channelQueue) {
	defer o.wg.Done()
	for {
		o.mu.Lock()
		if len(q.jobs) == 0 {
			delete(o.queues, channel)
			o.mu.Unlock()
			return
		}
		job := q.jobs[0]
		q.jobs = q.jobs[1:]
		o.mu.Unlock()
		job.done <- o.deliver(channel, job)
	}
}

func (o *outbox) deliver(channel string, job *sendJob) sendResult {
	for attempt := 0; ; attempt++ {
		if err := job.ctx.Err(); err != nil {
			return sendResult{err: err}
		}
		if err := o.sleep(job.ctx, o.take(channel)); err != nil {
			return sendResult{err: err}
		}
		if o.shared != nil {
			if err := o.shared(job.ctx, false, 0); err != nil {
				return sendResult{err: err}
			}
		}
		ts, err := job.do(job.ctx)
		after, limited := retryAfter(err)
		if !limited {
			return sendResult{ts: ts, err: err}
		}
		o.onLimited(channel, after)
		if o.shared != nil {
			// Slack does not say whether the channel's limit or the
			// workspace's was hit; one short pause of every channel is
			// cheaper than a 429 from each of them.
			_ = o.shared(job.ctx, true, after)
		}
		if attempt >= maxRateLimitRetries {
			return sendResult{err: fmt.Errorf("slack: still rate-limited after %d retries, message given up: %w", attempt, err)}
		}
		o.mu.Lock()
		b := o.buckets[channel]
		// The pause refills nothing; the resent message uses the one token.
		b.tokens, b.last = 1, o.now().Add(after)
		o.mu.Unlock()
		if err := o.sleep(job.ctx, after); err != nil {
			return sendResult{err: err}
		}
	}
}

// take reserves the channel's next slot and returns how long to wait for it.
func (o *outbox) take(channel string) time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	b, ok := o.buckets[channel]
	if !ok {
		if len(o.buckets) > 10000 {
			o.pruneLocked(now)
		}
		b = &bucket{tokens: float64(o.burst), last: now}
		o.buckets[channel] = b
	}
	if now.After(b.last) {
		b.tokens = min(float64(o.burst), b.tokens+now.Sub(b.last).Seconds()*o.rate)
		b.last = now
	}
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / o.rate * float64(time.Second))
}

// pruneLocked forgets buckets that have refilled completely: they would be
// recreated full anyway.
func (o *outbox) pruneLocked(now time.Time) {
	for ch, b := range o.buckets {
		if _, busy := o.queues[ch]; !busy && b.tokens+now.Sub(b.last).Seconds()*o.rate >= float64(o.burst) {
			delete(o.buckets, ch)
		}
	}
}

// retryAfter reports whether err is a 429 and how long Slack asked to wait.
func retryAfter(err error) (time.Duration, bool) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return max(rl.RetryAfter, time.Second), true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code == http.StatusTooManyRequests {
		return defaultRetryAfter, true
	}
	return 0, false
}
