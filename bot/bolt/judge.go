package bolt

import (
	"context"
	"errors"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/mlsdbot/mlsd/bot"
)

// The AI judge's buckets, created on first write like the daily ones.
var (
	bucketJudge       = []byte("judge")        // "v", key | "t", platform, workspace, day → judgeRecord
	bucketJudgeExpiry = []byte("judge-expiry") // expires-at (8 bytes), kind, key → ""
)

const kindJudge = 'j'

var _ bot.JudgeLedger = (*Store)(nil)

type judgeRecord struct {
	Verdict []byte    `json:"verdict,omitempty"`
	Tokens  int       `json:"tokens,omitempty"`
	Expires time.Time `json:"expires"`
}

// judgeUpdate runs fn in a write transaction with the judge buckets in
// place, after deleting a few expired judge records.
func (s *Store) judgeUpdate(ctx context.Context, fn func(b *bbolt.Bucket, idx *bbolt.Bucket, now time.Time) error) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketJudge)
		if err != nil {
			return err
		}
		idx, err := tx.CreateBucketIfNotExists(bucketJudgeExpiry)
		if err != nil {
			return err
		}
		now := s.now()
		for _, k := range dueEntries(idx, now, sweepBatch) {
			var rec judgeRecord
			key := k[9:]
			if err := getJSON(b, key, &rec); err == nil && !alive(rec.Expires, now) {
				if err := b.Delete(key); err != nil {
					return err
				}
			}
			if err := idx.Delete(k); err != nil {
				return err
			}
		}
		return fn(b, idx, now)
	})
}

// judgeRead reads one live record; a missing or expired one is not found.
func (s *Store) judgeRead(ctx context.Context, key []byte) (judgeRecord, error) {
	var rec judgeRecord
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketJudge)
		if b == nil {
			return bot.ErrNotFound
		}
		if err := getJSON(b, key, &rec); err != nil {
			return err
		}
		if !alive(rec.Expires, s.now()) {
			return bot.ErrNotFound
		}
		return nil
	})
	return rec, err
}

func putJudge(b, idx *bbolt.Bucket, key []byte, rec judgeRecord) error {
	if err := putJSON(b, key, rec); err != nil {
		return err
	}
	return idx.Put(expiryKey(rec.Expires, kindJudge, key), nil)
}

// CachedVerdict implements bot.JudgeLedger.
func (s *Store) CachedVerdict(ctx context.Context, key string) ([]byte, bool, error) {
	rec, err := s.judgeRead(ctx, encodeKey("v", key))
	if errors.Is(err, bot.ErrNotFound) {
		return nil, false, nil
	}
	return rec.Verdict, err == nil, err
}

// CacheVerdict implements bot.JudgeLedger.
func (s *Store) CacheVerdict(ctx context.Context, key string, verdict []byte, ttl time.Duration) error {
	return s.judgeUpdate(ctx, func(b, idx *bbolt.Bucket, now time.Time) error {
		return putJudge(b, idx, encodeKey("v", key), judgeRecord{Verdict: verdict, Expires: now.Add(ttl)})
	})
}

func tokensKey(ws bot.Workspace, day string) []byte {
	return encodeKey("t", string(ws.Platform), ws.ID, day)
}

// AddJudgeTokens implements bot.JudgeLedger.
func (s *Store) AddJudgeTokens(ctx context.Context, ws bot.Workspace, day string, n int, ttl time.Duration) (int, error) {
	total := 0
	err := s.judgeUpdate(ctx, func(b, idx *bbolt.Bucket, now time.Time) error {
		key := tokensKey(ws, day)
		var rec judgeRecord
		if err := getJSON(b, key, &rec); err != nil && !errors.Is(err, bot.ErrNotFound) {
			return err
		}
		if rec.Expires.IsZero() || !alive(rec.Expires, now) {
			rec = judgeRecord{Expires: now.Add(ttl)}
		}
		rec.Tokens += n
		total = rec.Tokens
		return putJudge(b, idx, key, rec)
	})
	return total, err
}

// JudgeTokens implements bot.JudgeLedger.
func (s *Store) JudgeTokens(ctx context.Context, ws bot.Workspace, day string) (int, error) {
	rec, err := s.judgeRead(ctx, tokensKey(ws, day))
	if errors.Is(err, bot.ErrNotFound) {
		return 0, nil
	}
	return rec.Tokens, err
}
