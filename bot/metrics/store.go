package metrics

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/mlsdbot/mlsd/bot"
)

// Operation labels of the store metrics, one per bot.Store method.
const (
	opFirstDelivery  = "first_delivery"
	opForgetDelivery = "forget_delivery"
	opActiveSession  = "active_session"
	opSession        = "session"
	opSave           = "save"
	opThread         = "thread"
	opStats          = "stats"
	opLeaderboard    = "leaderboard"
	opClose          = "close"
	opOutboxPending  = "outbox_pending"
	opOutboxDone     = "outbox_delivered"
	opOutboxDue      = "outbox_due"
)

var storeOps = []string{opFirstDelivery, opForgetDelivery, opActiveSession, opSession, opSave, opThread, opStats, opLeaderboard, opClose, opOutboxPending, opOutboxDone, opOutboxDue}

// InstrumentStore wraps s so that every call records its latency and
// outcome (mlsd_store_*), and so that the state changes the store accepts
// are counted where they become true, exactly once even with several
// replicas and redeliveries:
//
//   - a Save creating a session counts an interview started; one moving it
//     to Completed or Abandoned counts it completed or abandoned;
//   - FirstDelivery answering "seen before" and Save answering
//     bot.ErrDuplicate count a duplicate dropped (the platform is the
//     prefix of the delivery id, which the bot.Store contract requires);
//   - inside a handler wrapped by InstrumentHandler, a Save that adds an
//     answer turn to the session loaded earlier in the same event counts an
//     answer graded, timed from that load to the Save.
//
// The result keeps the optional methods cmd/mlsd looks for with type
// assertions, and only those the wrapped store has: Ping (readiness) and
// Acquire/Release (the Discord gateway lease), timed as "ping",
// "lease_acquire" and "lease_release". Any other method of the concrete
// store (bolt's Sweep, redis's Deployment) is not forwarded: call it on the
// store itself.
func InstrumentStore(s bot.Store, m *Metrics) bot.Store {
	if s == nil || m == nil {
		panic("metrics: InstrumentStore needs a store and a *Metrics")
	}
	base := &store{next: s, m: m}
	_, pings := s.(pinger)
	_, leases := s.(leaser)
	switch {
	case pings && leases:
		return storePingLease{base, pingMethod{base}, leaseMethods{base}}
	case pings:
		return storePing{base, pingMethod{base}}
	case leases:
		return storeLease{base, leaseMethods{base}}
	}
	return base
}

// Optional store methods, as their consumers (cmd/mlsd's readiness check,
// bot/discord's Leaser) declare them.
type (
	pinger interface {
		Ping(ctx context.Context) error
	}
	leaser interface {
		Acquire(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
		Release(ctx context.Context, name, holder string) error
	}
)

// One type per combination, so a type assertion on the result succeeds
// exactly when it would on the wrapped store.
type (
	storePing struct {
		*store
		pingMethod
	}
	storeLease struct {
		*store
		leaseMethods
	}
	storePingLease struct {
		*store
		pingMethod
		leaseMethods
	}
)

const (
	opPing         = "ping"
	opLeaseAcquire = "lease_acquire"
	opLeaseRelease = "lease_release"
)

type pingMethod struct{ s *store }

func (p pingMethod) Ping(ctx context.Context) error {
	start := p.s.m.now()
	err := p.s.next.(pinger).Ping(ctx)
	p.s.done(opPing, start, err)
	return err
}

type leaseMethods struct{ s *store }

func (l leaseMethods) Acquire(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	start := l.s.m.now()
	ok, err := l.s.next.(leaser).Acquire(ctx, name, holder, ttl)
	l.s.done(opLeaseAcquire, start, err)
	return ok, err
}

func (l leaseMethods) Release(ctx context.Context, name, holder string) error {
	start := l.s.m.now()
	err := l.s.next.(leaser).Release(ctx, name, holder)
	l.s.done(opLeaseRelease, start, err)
	return err
}

type store struct {
	next bot.Store
	m    *Metrics
}

func (s *store) done(op string, start time.Time, err error) {
	s.m.StoreOperation(op, s.m.now().Sub(start), err)
}

func (s *store) FirstDelivery(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	start := s.m.now()
	first, err := s.next.FirstDelivery(ctx, id, ttl)
	s.done(opFirstDelivery, start, err)
	if err == nil && !first {
		s.m.DuplicateDropped(platformOfID(id))
	}
	return first, err
}

func (s *store) ForgetDelivery(ctx context.Context, id string) error {
	start := s.m.now()
	err := s.next.ForgetDelivery(ctx, id)
	s.done(opForgetDelivery, start, err)
	return err
}

func (s *store) ActiveSession(ctx context.Context, user bot.UserKey) (bot.Session, error) {
	start := s.m.now()
	sess, err := s.next.ActiveSession(ctx, user)
	s.done(opActiveSession, start, err)
	if err == nil {
		eventFrom(ctx).loaded(&sess, s.m.now())
	}
	return sess, err
}

// RecalledSession counts a session the engine took from its memory of
// its own last save as a load (see bot.Config.SessionMemo): the answer it
// then saves was graded all the same.
func (s *store) RecalledSession(ctx context.Context, sess *bot.Session) {
	eventFrom(ctx).loaded(sess, s.m.now())
}

func (s *store) Session(ctx context.Context, user bot.UserKey, id string) (bot.Session, error) {
	start := s.m.now()
	sess, err := s.next.Session(ctx, user, id)
	s.done(opSession, start, err)
	if err == nil {
		eventFrom(ctx).loaded(&sess, s.m.now())
	}
	return sess, err
}

func (s *store) Save(ctx context.Context, ch bot.Change) error {
	start := s.m.now()
	err := s.next.Save(ctx, ch)
	s.done(opSave, start, err)
	p := ch.Session.User.Platform
	switch {
	case errors.Is(err, bot.ErrDuplicate):
		s.m.DuplicateDropped(p)
	case err != nil:
	case ch.Expected == 0:
		s.m.InterviewStarted(p)
	default:
		if loadedAt, ok := eventFrom(ctx).answered(&ch); ok {
			s.m.AnswerGraded(p, start.Sub(loadedAt))
		}
		switch ch.Session.Status {
		case bot.Completed:
			s.m.InterviewCompleted(p)
		case bot.Abandoned:
			s.m.InterviewAbandoned(p)
		}
	}
	return err
}

func (s *store) PendingOutbox(ctx context.Context, ref bot.OutboxRef) (*bot.Outbox, error) {
	start := s.m.now()
	ob, err := s.next.PendingOutbox(ctx, ref)
	s.done(opOutboxPending, start, err)
	return ob, err
}

func (s *store) ClaimOutbox(ctx context.Context, ref bot.OutboxRef, before time.Time, lease time.Duration) (bool, error) {
	start := s.m.now()
	ok, err := s.next.ClaimOutbox(ctx, ref, before, lease)
	s.done(opOutboxDue, start, err)
	return ok, err
}

func (s *store) OutboxDelivered(ctx context.Context, ref bot.OutboxRef) error {
	start := s.m.now()
	err := s.next.OutboxDelivered(ctx, ref)
	s.done(opOutboxDone, start, err)
	return err
}

func (s *store) DueOutboxes(ctx context.Context, before time.Time, limit int, lease time.Duration) ([]bot.OutboxRef, error) {
	start := s.m.now()
	refs, err := s.next.DueOutboxes(ctx, before, limit, lease)
	s.done(opOutboxDue, start, err)
	return refs, err
}

func (s *store) Thread(ctx context.Context, ref bot.ThreadRef) (bot.ThreadBinding, error) {
	start := s.m.now()
	b, err := s.next.Thread(ctx, ref)
	s.done(opThread, start, err)
	return b, err
}

func (s *store) Stats(ctx context.Context, user bot.UserKey) (bot.Stats, error) {
	start := s.m.now()
	st, err := s.next.Stats(ctx, user)
	s.done(opStats, start, err)
	return st, err
}

func (s *store) Leaderboard(ctx context.Context, ws bot.Workspace, period bot.Period, limit int, viewer string) (bot.Board, error) {
	start := s.m.now()
	b, err := s.next.Leaderboard(ctx, ws, period, limit, viewer)
	s.done(opLeaderboard, start, err)
	return b, err
}

func (s *store) Close() error {
	start := s.m.now()
	err := s.next.Close()
	s.done(opClose, start, err)
	return err
}

// platformOfID reads the platform prefix of a delivery id ("slack:T1:Ev1").
func platformOfID(id string) bot.Platform {
	p, _, _ := strings.Cut(id, ":")
	return bot.Platform(p)
}

// turns counts the answer messages a session has taken in; the engine adds
// one for every answer it grades.
func turns(s *bot.Session) int {
	n := 0
	for i := range s.Answers {
		n += s.Answers[i].Turns
	}
	for i := range s.Wrap {
		n += s.Wrap[i].Turns
	}
	return n
}
