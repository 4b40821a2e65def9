package bolt

import (
	"context"
	"errors"

	bbolt "go.etcd.io/bbolt"

	"github.com/mlsdbot/mlsd/bot"
)

var _ bot.ProgressStore = (*Store)(nil)

// recordProgress adds a completion's concept marks to the user's coverage
// and its history entry to the user's history, inside the transaction
// that counts the completion (so exactly once).
func recordProgress(tx *bbolt.Tx, user bot.UserKey, c *bot.Completion) error {
	key := userKey(user)
	if len(c.Marks) > 0 {
		cb := tx.Bucket(bucketCoverage)
		tracks := map[string]bot.ConceptTrack{}
		if err := getJSON(cb, key, &tracks); err != nil && !errors.Is(err, bot.ErrNotFound) {
			return err
		}
		for _, m := range c.Marks {
			t := tracks[m.Key]
			t.Track(m)
			tracks[m.Key] = t
		}
		if err := putJSON(cb, key, tracks); err != nil {
			return err
		}
	}
	if c.History != nil {
		hb := tx.Bucket(bucketHistory)
		var hist []bot.HistoryEntry
		if err := getJSON(hb, key, &hist); err != nil && !errors.Is(err, bot.ErrNotFound) {
			return err
		}
		hist = append([]bot.HistoryEntry{*c.History}, hist...)
		if len(hist) > bot.HistoryLimit {
			hist = hist[:bot.HistoryLimit]
		}
		if err := putJSON(hb, key, hist); err != nil {
			return err
		}
	}
	return nil
}

// Progress implements bot.ProgressStore in one read transaction.
func (s *Store) Progress(ctx context.Context, user bot.UserKey) (bot.PersonProgress, error) {
	var p bot.PersonProgress
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		key := userKey(user)
		tracks := map[string]bot.ConceptTrack{}
		if err := getJSON(tx.Bucket(bucketCoverage), key, &tracks); err != nil && !errors.Is(err, bot.ErrNotFound) {
			return err
		}
		for _, t := range tracks {
			p.Tracks = append(p.Tracks, t)
		}
		if err := getJSON(tx.Bucket(bucketHistory), key, &p.History); err != nil && !errors.Is(err, bot.ErrNotFound) {
			return err
		}
		return nil
	})
	return p, err
}
