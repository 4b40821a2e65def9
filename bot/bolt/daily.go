package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/mlsdbot/mlsd/bot"
)

// The daily challenge's buckets, created on first write (Open predates
// them, and a read of a missing bucket means "nothing yet").
var (
	bucketDailySched   = []byte("daily-sched")   // platform, workspace, channel → dailyRecord
	bucketDailyThreads = []byte("daily-threads") // platform, workspace, channel, thread → dailyThreadRecord
	bucketDailyAnswers = []byte("daily-answers") // platform, workspace, channel, date, user → dailyAnswerRecord
	bucketDailyOptOut  = []byte("daily-optout")  // platform, workspace, user → ""
	bucketClaims       = []byte("claims")        // key → claimRecord
	bucketNudgeDue     = []byte("nudge-due")     // due (8 bytes), member → ""
	bucketNudgeMembers = []byte("nudge-members") // member → due (8 bytes)
	bucketDailyExpiry  = []byte("daily-expiry")  // expires-at (8 bytes), kind, key → ""
	dailyBuckets       = [][]byte{bucketDailySched, bucketDailyThreads, bucketDailyAnswers, bucketDailyOptOut,
		bucketClaims, bucketNudgeDue, bucketNudgeMembers, bucketDailyExpiry}
)

// Kinds of daily expiry entries.
const (
	kindDailyThread = 't'
	kindDailyAnswer = 'a'
	kindClaim       = 'c'
)

var _ bot.DailyStore = (*Store)(nil)

type dailyRecord struct {
	Channel      bot.ChannelRef  `json:"channel"`
	Config       bot.DailyConfig `json:"config"`
	Used         []string        `json:"used,omitempty"`
	Last         *bot.DailyPost  `json:"last,omitempty"`
	RevealedDate string          `json:"revealed,omitempty"`
	NowRequested time.Time       `json:"now,omitzero"`
}

func (r dailyRecord) schedule() bot.DailySchedule {
	return bot.DailySchedule{Channel: r.Channel, Config: r.Config, Used: r.Used, Last: r.Last, RevealedDate: r.RevealedDate, NowRequested: r.NowRequested}
}

type dailyThreadRecord struct {
	Post    bot.DailyPost `json:"post"`
	Expires time.Time     `json:"expires"`
}

type dailyAnswerRecord struct {
	Answer  bot.DailyAnswer `json:"answer"`
	Expires time.Time       `json:"expires"`
}

type claimRecord struct {
	At      time.Time `json:"at"` // when last claimed
	Lease   int64     `json:"lease"`
	Done    bool      `json:"done,omitempty"`
	Expires time.Time `json:"expires"`
	// Note is the winner's progress (NoteClaim); a takeover keeps it.
	Note string `json:"note,omitempty"`
}

// dailyUpdate runs fn in a write transaction with the daily buckets in
// place, after sweeping a few expired daily records.
func (s *Store) dailyUpdate(ctx context.Context, fn func(tx *bbolt.Tx, now time.Time) error) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		for _, b := range dailyBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		now := s.now()
		if err := sweepDaily(tx, now, sweepBatch); err != nil {
			return err
		}
		return fn(tx, now)
	})
}

// dailyView runs fn in a read transaction; get on a missing bucket is nil.
func (s *Store) dailyView(ctx context.Context, fn func(tx *bbolt.Tx, now time.Time) error) error {
	return s.view(ctx, func(tx *bbolt.Tx) error { return fn(tx, s.now()) })
}

func getIn(tx *bbolt.Tx, bucket, key []byte, v any) error {
	b := tx.Bucket(bucket)
	if b == nil {
		return bot.ErrNotFound
	}
	return getJSON(b, key, v)
}

func channelKey(ch bot.ChannelRef) []byte {
	return encodeKey(string(ch.Platform), ch.Workspace, ch.Channel)
}

func answerPrefix(p bot.DailyPost) []byte {
	return encodeKey(string(p.Channel.Platform), p.Channel.Workspace, p.Channel.Channel, p.Date)
}

func nudgeMember(n bot.NudgeRef) []byte {
	return encodeKey(string(n.User.Platform), n.User.Workspace, n.User.UserID, n.SessionID)
}

func decodeNudgeMember(b []byte) (bot.NudgeRef, error) {
	var parts [4]string
	for i := range parts {
		var err error
		if parts[i], b, err = decodePart(b); err != nil {
			return bot.NudgeRef{}, err
		}
	}
	return bot.NudgeRef{User: bot.UserKey{Platform: bot.Platform(parts[0]), Workspace: parts[1], UserID: parts[2]}, SessionID: parts[3]}, nil
}

// DailySchedule implements bot.DailyStore.
func (s *Store) DailySchedule(ctx context.Context, ch bot.ChannelRef) (bot.DailySchedule, error) {
	var rec dailyRecord
	err := s.dailyView(ctx, func(tx *bbolt.Tx, _ time.Time) error {
		return getIn(tx, bucketDailySched, channelKey(ch), &rec)
	})
	if err != nil {
		return bot.DailySchedule{}, err
	}
	return rec.schedule(), nil
}

// DailySchedules implements bot.DailyStore.
func (s *Store) DailySchedules(ctx context.Context) ([]bot.DailySchedule, error) {
	var out []bot.DailySchedule
	err := s.dailyView(ctx, func(tx *bbolt.Tx, _ time.Time) error {
		b := tx.Bucket(bucketDailySched)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var rec dailyRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("bolt: daily schedule record: %w", err)
			}
			out = append(out, rec.schedule())
			return nil
		})
	})
	return out, err
}

// modifySchedule applies fn to the channel's record (a new one when none).
func (s *Store) modifySchedule(ctx context.Context, ch bot.ChannelRef, create bool, fn func(r *dailyRecord)) error {
	return s.dailyUpdate(ctx, func(tx *bbolt.Tx, _ time.Time) error {
		b := tx.Bucket(bucketDailySched)
		rec := dailyRecord{Channel: ch}
		if err := getJSON(b, channelKey(ch), &rec); errors.Is(err, bot.ErrNotFound) {
			if !create {
				return nil
			}
		} else if err != nil {
			return err
		}
		fn(&rec)
		return putJSON(b, channelKey(ch), rec)
	})
}

// SetDailyConfig implements bot.DailyStore.
func (s *Store) SetDailyConfig(ctx context.Context, ch bot.ChannelRef, cfg bot.DailyConfig) error {
	return s.modifySchedule(ctx, ch, true, func(r *dailyRecord) { r.Config = cfg })
}

// RequestDailyNow implements bot.DailyStore.
func (s *Store) RequestDailyNow(ctx context.Context, ch bot.ChannelRef, at time.Time) error {
	return s.modifySchedule(ctx, ch, true, func(r *dailyRecord) { r.NowRequested = at })
}

// ClearDailyNow implements bot.DailyStore.
func (s *Store) ClearDailyNow(ctx context.Context, ch bot.ChannelRef) error {
	return s.modifySchedule(ctx, ch, false, func(r *dailyRecord) { r.NowRequested = time.Time{} })
}

// RecordDailyPost implements bot.DailyStore.
func (s *Store) RecordDailyPost(ctx context.Context, p bot.DailyPost, used []string, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("bolt: RecordDailyPost %s %s: ttl must be positive", p.Channel, p.Date)
	}
	return s.dailyUpdate(ctx, func(tx *bbolt.Tx, now time.Time) error {
		b := tx.Bucket(bucketDailySched)
		rec := dailyRecord{Channel: p.Channel}
		if err := getJSON(b, channelKey(p.Channel), &rec); err != nil && !errors.Is(err, bot.ErrNotFound) {
			return err
		}
		post := p
		rec.Last, rec.Used = &post, slices.Clone(used)
		if err := putJSON(b, channelKey(p.Channel), rec); err != nil {
			return err
		}
		if p.Thread == "" {
			return nil
		}
		var old dailyThreadRecord
		if err := getJSON(tx.Bucket(bucketDailyThreads), threadKey(p.Ref()), &old); err == nil && alive(old.Expires, now) {
			post.Revealed = post.Revealed || old.Post.Revealed
		} else if err != nil && !errors.Is(err, bot.ErrNotFound) {
			return err
		}
		return putExpiring(tx, bucketDailyThreads, kindDailyThread, threadKey(p.Ref()), dailyThreadRecord{Post: post, Expires: now.Add(ttl)}, now.Add(ttl))
	})
}

// DailyThread implements bot.DailyStore.
func (s *Store) DailyThread(ctx context.Context, ref bot.ThreadRef) (bot.DailyPost, error) {
	var rec dailyThreadRecord
	err := s.dailyView(ctx, func(tx *bbolt.Tx, now time.Time) error {
		if err := getIn(tx, bucketDailyThreads, threadKey(ref), &rec); err != nil {
			return err
		}
		if !alive(rec.Expires, now) {
			return bot.ErrNotFound
		}
		return nil
	})
	return rec.Post, err
}

// MarkDailyRevealed implements bot.DailyStore.
func (s *Store) MarkDailyRevealed(ctx context.Context, p bot.DailyPost) error {
	return s.dailyUpdate(ctx, func(tx *bbolt.Tx, now time.Time) error {
		if p.Thread != "" {
			tb := tx.Bucket(bucketDailyThreads)
			var tr dailyThreadRecord
			err := getJSON(tb, threadKey(p.Ref()), &tr)
			switch {
			case err == nil && alive(tr.Expires, now):
				tr.Post.Revealed = true
				if err := putJSON(tb, threadKey(p.Ref()), tr); err != nil {
					return err
				}
			case err != nil && !errors.Is(err, bot.ErrNotFound):
				return err
			}
		}
		sb := tx.Bucket(bucketDailySched)
		var rec dailyRecord
		if err := getJSON(sb, channelKey(p.Channel), &rec); errors.Is(err, bot.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if rec.Last != nil && rec.Last.Date == p.Date {
			rec.Last.Revealed = true
		}
		rec.RevealedDate = max(rec.RevealedDate, p.Date)
		return putJSON(sb, channelKey(p.Channel), rec)
	})
}

// Claim implements bot.DailyStore.
func (s *Store) Claim(ctx context.Context, key string, lease, ttl time.Duration) (bool, error) {
	if key == "" || ttl <= 0 {
		return false, fmt.Errorf("bolt: Claim %q: needs a key and a positive ttl", key)
	}
	var won bool
	err := s.dailyUpdate(ctx, func(tx *bbolt.Tx, now time.Time) error {
		b := tx.Bucket(bucketClaims)
		k := encodeKey(key)
		var rec claimRecord
		err := getJSON(b, k, &rec)
		switch {
		case errors.Is(err, bot.ErrNotFound) || err == nil && !alive(rec.Expires, now):
			if err == nil {
				if err := tx.Bucket(bucketDailyExpiry).Delete(expiryKey(rec.Expires, kindClaim, k)); err != nil {
					return err
				}
			}
			won = true
			exp := now.Add(ttl)
			return putExpiring(tx, bucketClaims, kindClaim, k, claimRecord{At: now, Lease: int64(lease), Expires: exp}, exp)
		case err != nil:
			return err
		case rec.Done || lease <= 0 || now.Sub(rec.At) < lease:
			return nil
		}
		won = true // the last winner died half-way
		rec.At, rec.Lease = now, int64(lease)
		return putJSON(b, k, rec)
	})
	return won, err
}

// Finish implements bot.DailyStore.
func (s *Store) Finish(ctx context.Context, key string) error {
	return s.dailyUpdate(ctx, func(tx *bbolt.Tx, now time.Time) error {
		b := tx.Bucket(bucketClaims)
		k := encodeKey(key)
		var rec claimRecord
		if err := getJSON(b, k, &rec); errors.Is(err, bot.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if !alive(rec.Expires, now) {
			return nil
		}
		rec.Done = true
		return putJSON(b, k, rec)
	})
}

// NoteClaim implements bot.DailyStore.
func (s *Store) NoteClaim(ctx context.Context, key, note string) error {
	return s.dailyUpdate(ctx, func(tx *bbolt.Tx, now time.Time) error {
		b := tx.Bucket(bucketClaims)
		k := encodeKey(key)
		var rec claimRecord
		if err := getJSON(b, k, &rec); errors.Is(err, bot.ErrNotFound) {
			return fmt.Errorf("bolt: NoteClaim %q: %w", key, bot.ErrNotFound)
		} else if err != nil {
			return err
		}
		if !alive(rec.Expires, now) {
			return fmt.Errorf("bolt: NoteClaim %q: %w", key, bot.ErrNotFound)
		}
		if rec.Done {
			return nil
		}
		rec.Note = note
		return putJSON(b, k, rec)
	})
}

// ClaimNote implements bot.DailyStore.
func (s *Store) ClaimNote(ctx context.Context, key string) (string, error) {
	var note string
	err := s.dailyView(ctx, func(tx *bbolt.Tx, now time.Time) error {
		var rec claimRecord
		switch err := getIn(tx, bucketClaims, encodeKey(key), &rec); {
		case errors.Is(err, bot.ErrNotFound):
			return nil
		case err != nil:
			return err
		}
		if alive(rec.Expires, now) && !rec.Done {
			note = rec.Note
		}
		return nil
	})
	return note, err
}

// RecordDailyAnswer implements bot.DailyStore: the answer, the stats and
// the boards change in one transaction, so the credit is applied once.
func (s *Store) RecordDailyAnswer(ctx context.Context, p bot.DailyPost, a bot.DailyAnswer, ttl time.Duration) (bot.DailyAnswer, bool, error) {
	if ttl <= 0 {
		return bot.DailyAnswer{}, false, errors.New("bolt: RecordDailyAnswer: ttl must be positive")
	}
	_, err := time.Parse(time.DateOnly, a.Day)
	if err != nil || a.Week == "" || a.Month == "" || a.User.UserID == "" {
		return bot.DailyAnswer{}, false, fmt.Errorf("bolt: RecordDailyAnswer: needs a user, a YYYY-MM-DD day, a week and a month (got %q %q %q)", a.Day, a.Week, a.Month)
	}
	var counted bot.DailyAnswer
	var first bool
	err = s.dailyUpdate(ctx, func(tx *bbolt.Tx, now time.Time) error {
		key := append(answerPrefix(p), encodeKey(a.User.UserID)...)
		var rec dailyAnswerRecord
		err := getJSON(tx.Bucket(bucketDailyAnswers), key, &rec)
		switch {
		case err == nil && alive(rec.Expires, now):
			counted = rec.Answer
			return nil
		case err == nil:
			if err := tx.Bucket(bucketDailyExpiry).Delete(expiryKey(rec.Expires, kindDailyAnswer, key)); err != nil {
				return err
			}
		case !errors.Is(err, bot.ErrNotFound):
			return err
		}
		first, counted = true, a
		exp := now.Add(ttl)
		if err := putExpiring(tx, bucketDailyAnswers, kindDailyAnswer, key, dailyAnswerRecord{Answer: a, Expires: exp}, exp); err != nil {
			return err
		}
		return credit(tx, a, now)
	})
	return counted, first, err
}

// credit adds a counted daily answer to its author's stats (points and
// streak) and standings; sessions are not counted.
func credit(tx *bbolt.Tx, a bot.DailyAnswer, now time.Time) error {
	sb := tx.Bucket(bucketStats)
	var st bot.Stats
	if err := getJSON(sb, userKey(a.User), &st); err != nil && !errors.Is(err, bot.ErrNotFound) {
		return err
	}
	st.Points += a.Points
	bot.AdvanceStreak(&st, a.Day)
	if err := putJSON(sb, userKey(a.User), st); err != nil {
		return err
	}
	return creditBoards(tx, a.User, a.UserName, a.At, a.Points, 0, a.Week, a.Month, now)
}

// DailyAnswers implements bot.DailyStore.
func (s *Store) DailyAnswers(ctx context.Context, p bot.DailyPost) ([]bot.DailyAnswer, error) {
	var out []bot.DailyAnswer
	err := s.dailyView(ctx, func(tx *bbolt.Tx, now time.Time) error {
		b := tx.Bucket(bucketDailyAnswers)
		if b == nil {
			return nil
		}
		prefix := answerPrefix(p)
		c := b.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			var rec dailyAnswerRecord
			if err := getJSON(b, k, &rec); err != nil {
				return err
			}
			if alive(rec.Expires, now) {
				out = append(out, rec.Answer)
			}
		}
		return nil
	})
	bot.SortDailyAnswers(out)
	return out, err
}

// SetDailyOptOut implements bot.DailyStore.
func (s *Store) SetDailyOptOut(ctx context.Context, user bot.UserKey, out bool) error {
	return s.dailyUpdate(ctx, func(tx *bbolt.Tx, _ time.Time) error {
		b := tx.Bucket(bucketDailyOptOut)
		if out {
			return b.Put(userKey(user), nil)
		}
		return b.Delete(userKey(user))
	})
}

// DailyOptedOut implements bot.DailyStore.
func (s *Store) DailyOptedOut(ctx context.Context, ws bot.Workspace, users []string) (map[string]bool, error) {
	out := make(map[string]bool)
	err := s.dailyView(ctx, func(tx *bbolt.Tx, _ time.Time) error {
		b := tx.Bucket(bucketDailyOptOut)
		if b == nil {
			return nil
		}
		for _, u := range users {
			if b.Get(userKey(bot.UserKey{Platform: ws.Platform, Workspace: ws.ID, UserID: u})) != nil {
				out[u] = true
			}
		}
		return nil
	})
	return out, err
}

// ScheduleNudge implements bot.DailyStore.
func (s *Store) ScheduleNudge(ctx context.Context, n bot.NudgeRef, due time.Time) error {
	return s.dailyUpdate(ctx, func(tx *bbolt.Tx, _ time.Time) error {
		return nudgesDue.set(tx, nudgeMember(n), due)
	})
}

// DueNudges implements bot.DailyStore.
func (s *Store) DueNudges(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]bot.NudgeRef, error) {
	if limit <= 0 {
		return nil, nil
	}
	// Every replica polls often and there is rarely anything due: look
	// first in a read transaction, which costs no fsync.
	anyDue := false
	err := s.dailyView(ctx, func(tx *bbolt.Tx, _ time.Time) error {
		if b := tx.Bucket(bucketNudgeDue); b != nil {
			k, _ := b.Cursor().First()
			anyDue = len(k) >= 8 && !decodeTime(k[:8]).After(now)
		}
		return nil
	})
	if err != nil || !anyDue {
		return nil, err
	}
	var out []bot.NudgeRef
	err = s.dailyUpdate(ctx, func(tx *bbolt.Tx, _ time.Time) error {
		members, err := nudgesDue.claim(tx, now, limit, lease)
		if err != nil {
			return err
		}
		for _, m := range members {
			ref, err := decodeNudgeMember(m)
			if err != nil {
				return err
			}
			out = append(out, ref)
		}
		return nil
	})
	return out, err
}

// CancelNudge implements bot.DailyStore.
func (s *Store) CancelNudge(ctx context.Context, n bot.NudgeRef) error {
	return s.dailyUpdate(ctx, func(tx *bbolt.Tx, _ time.Time) error {
		return nudgesDue.drop(tx, nudgeMember(n))
	})
}

// putExpiring writes a record and its entry in the daily expiry index.
func putExpiring(tx *bbolt.Tx, bucket []byte, kind byte, key []byte, v any, exp time.Time) error {
	if err := putJSON(tx.Bucket(bucket), key, v); err != nil {
		return err
	}
	return tx.Bucket(bucketDailyExpiry).Put(expiryKey(exp, kind, key), nil)
}

// sweepDaily deletes up to limit expired daily records (all when limit <
// 0). An index entry whose record was rewritten with a later expiry only
// loses the entry.
func sweepDaily(tx *bbolt.Tx, now time.Time, limit int) error {
	idx := tx.Bucket(bucketDailyExpiry)
	for _, k := range dueEntries(idx, now, limit) {
		kind, key := k[8], k[9:]
		var bucket []byte
		switch kind {
		case kindDailyThread:
			bucket = bucketDailyThreads
		case kindDailyAnswer:
			bucket = bucketDailyAnswers
		case kindClaim:
			bucket = bucketClaims
		}
		if bucket != nil {
			var rec struct {
				Expires time.Time `json:"expires"`
			}
			b := tx.Bucket(bucket)
			if err := getJSON(b, key, &rec); err == nil && !alive(rec.Expires, now) {
				if err := b.Delete(key); err != nil {
					return err
				}
			} else if err != nil && !errors.Is(err, bot.ErrNotFound) {
				return err
			}
		}
		if err := idx.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
