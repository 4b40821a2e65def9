package bolt

import (
	"bytes"
	"context"
	"encoding/json"

	bbolt "go.etcd.io/bbolt"

	"github.com/mlsdbot/mlsd/bot"
)

// SetAnonymous implements bot.ProgressStore.
func (s *Store) SetAnonymous(ctx context.Context, user bot.UserKey, on bool) error {
	return s.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAnon)
		if on {
			return b.Put(userKey(user), nil)
		}
		return b.Delete(userKey(user))
	})
}

// Anonymous implements bot.ProgressStore.
func (s *Store) Anonymous(ctx context.Context, ws bot.Workspace, users []string) (map[string]bool, error) {
	out := map[string]bool{}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAnon)
		for _, u := range users {
			if b.Get(userKey(bot.UserKey{Platform: ws.Platform, Workspace: ws.ID, UserID: u})) != nil {
				out[u] = true
			}
		}
		return nil
	})
	return out, err
}

// Forget implements bot.ProgressStore in one write transaction: every
// bucket is walked once and each record that belongs to the user, by its
// key or (thread bindings) by its value, is deleted.
func (s *Store) Forget(ctx context.Context, user bot.UserKey) (map[string]int, error) {
	n := map[string]int{}
	err := s.update(ctx, func(tx *bbolt.Tx) error {
		uk := userKey(user)
		wsPrefix := encodeKey(string(user.Platform), user.Workspace)
		// owned reports whether a key of parts (platform, workspace, ...)
		// has the user's id as its part at index i.
		owned := func(key []byte, i int) bool {
			if !bytes.HasPrefix(key, wsPrefix) {
				return false
			}
			parts, ok := decodeParts(key)
			return ok && len(parts) > i && parts[i] == user.UserID
		}
		del := func(bucket []byte, kind string, match func(k, v []byte) bool) error {
			b := tx.Bucket(bucket)
			if b == nil {
				return nil // a daily bucket never written
			}
			var keys [][]byte
			if err := b.ForEach(func(k, v []byte) error {
				if match(k, v) {
					keys = append(keys, bytes.Clone(k))
				}
				return nil
			}); err != nil {
				return err
			}
			for _, k := range keys {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			if kind != "" {
				n[kind] += len(keys)
			}
			return nil
		}
		userKeyed := func(k, _ []byte) bool { return bytes.Equal(k, uk) }
		userPrefixed := func(k, _ []byte) bool { return bytes.HasPrefix(k, uk) }
		var history []bot.HistoryEntry
		if err := getJSON(tx.Bucket(bucketHistory), uk, &history); err == nil {
			n[bot.ForgotHistory] = len(history)
		}
		tracks := map[string]bot.ConceptTrack{}
		if err := getJSON(tx.Bucket(bucketCoverage), uk, &tracks); err == nil {
			n[bot.ForgotCoverage] = len(tracks)
		}
		steps := []struct {
			bucket []byte
			kind   string
			match  func(k, v []byte) bool
		}{
			{bucketSessions, bot.ForgotSessions, userPrefixed},
			{bucketActive, "", userKeyed},
			{bucketThreads, bot.ForgotOther, func(_, v []byte) bool {
				var tr threadRecord
				return json.Unmarshal(v, &tr) == nil && tr.User == user
			}},
			{bucketExpiry, "", func(k, _ []byte) bool {
				if len(k) < 9 {
					return false
				}
				rec := k[9:]
				switch k[8] {
				case kindSession:
					return bytes.HasPrefix(rec, uk)
				case kindBoard:
					return owned(rec, 3)
				}
				return false
			}},
			{bucketStats, bot.ForgotStats, userKeyed},
			{bucketBoards, bot.ForgotBoardRows, func(k, _ []byte) bool { return owned(k, 3) }},
			{bucketExport, bot.ForgotExportRows, func(k, _ []byte) bool { return owned(k, 3) }},
			{bucketCoverage, "", userKeyed},
			{bucketHistory, "", userKeyed},
			{bucketAnon, bot.ForgotOther, userKeyed},
			{bucketDailyAnswers, bot.ForgotDailyAnswers, func(k, _ []byte) bool { return owned(k, 4) }},
			{bucketDailyExpiry, "", func(k, _ []byte) bool { return len(k) > 9 && k[8] == kindDailyAnswer && owned(k[9:], 4) }},
			{bucketDailyOptOut, bot.ForgotOther, userKeyed},
			{bucketNudgeMembers, bot.ForgotOther, userPrefixed},
			{bucketNudgeDue, "", func(k, _ []byte) bool { return len(k) > 8 && bytes.HasPrefix(k[8:], uk) }},
			// Saved replies quote the user's answers.
			{bucketOutboxPending, bot.ForgotOther, userPrefixed},
			{bucketOutboxIndex, "", userPrefixed},
			{bucketOutboxDue, "", func(k, _ []byte) bool { return len(k) > 8 && bytes.HasPrefix(k[8:], uk) }},
		}
		for _, st := range steps {
			if err := del(st.bucket, st.kind, st.match); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// decodeParts splits a whole key made by encodeKey.
func decodeParts(key []byte) ([]string, bool) {
	var parts []string
	for len(key) > 0 {
		p, rest, err := decodePart(key)
		if err != nil {
			return nil, false
		}
		parts, key = append(parts, p), rest
	}
	return parts, true
}
