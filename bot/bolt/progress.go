package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

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
	if !c.Drill {
		if err := recordExport(tx, user, c); err != nil {
			return err
		}
		if err := recordTeam(tx, user, c); err != nil {
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

// teamRecord is a workspace's aggregate (bot.TeamStats), kept whole.
type teamRecord struct {
	Sessions   int                    `json:"sessions"`
	Weeks      map[string]int         `json:"weeks"`
	Months     map[string]int         `json:"months"`
	StepTotals [bot.Steps]float64     `json:"step_totals"`
	Misses     map[string]int         `json:"misses"`
	Concepts   map[string]teamConcept `json:"concepts"`
	Scenarios  map[string]int         `json:"scenarios"`
}

type teamConcept struct {
	Label string     `json:"label"`
	Step  bot.StepID `json:"step"`
}

func teamKey(ws bot.Workspace) []byte { return encodeKey(string(ws.Platform), ws.ID) }

// recordExport keeps the completion's row for the admin's export.
func recordExport(tx *bbolt.Tx, user bot.UserKey, c *bot.Completion) error {
	key := encodeKey(string(user.Platform), user.Workspace, c.Month, user.UserID, c.SessionID)
	return putJSON(tx.Bucket(bucketExport), key, bot.NewExportRow(user, c))
}

// ExportRows implements bot.ExportStore: one read transaction over the
// month's rows.
func (s *Store) ExportRows(ctx context.Context, ws bot.Workspace, month string) ([]bot.ExportRow, error) {
	var out []bot.ExportRow
	prefix := encodeKey(string(ws.Platform), ws.ID, month)
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketExport)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var r bot.ExportRow
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("bolt: export row %q: %w", k, err)
			}
			out = append(out, r)
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b bot.ExportRow) int { return a.At.Compare(b.At) })
	return out, err
}

// recordTeam adds a completion to its workspace's aggregate, in the
// transaction that counts the completion (so once per session).
func recordTeam(tx *bbolt.Tx, user bot.UserKey, c *bot.Completion) error {
	b := tx.Bucket(bucketTeams)
	key := teamKey(bot.Workspace{Platform: user.Platform, ID: user.Workspace})
	var t teamRecord
	if err := getJSON(b, key, &t); err != nil && !errors.Is(err, bot.ErrNotFound) {
		return err
	}
	if t.Weeks == nil {
		t.Weeks, t.Months, t.Misses, t.Concepts, t.Scenarios = map[string]int{}, map[string]int{}, map[string]int{}, map[string]teamConcept{}, map[string]int{}
	}
	t.Sessions++
	t.Weeks[c.Week]++
	t.Months[c.Month]++
	t.Scenarios[c.ScenarioID]++
	for i, v := range c.StepScores {
		t.StepTotals[i] += v
	}
	for _, m := range bot.TeamMisses(c.Marks) {
		t.Misses[m.Key]++
		t.Concepts[m.Key] = teamConcept{Label: m.Label, Step: m.Step}
	}
	return putJSON(b, key, t)
}

// Team implements bot.ProgressStore in one read transaction.
func (s *Store) Team(ctx context.Context, ws bot.Workspace, week, month string, limit int) (bot.TeamStats, error) {
	var out bot.TeamStats
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var t teamRecord
		if err := getJSON(tx.Bucket(bucketTeams), teamKey(ws), &t); errors.Is(err, bot.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		out = bot.TeamStats{Sessions: t.Sessions, Week: t.Weeks[week], Month: t.Months[month], StepTotals: t.StepTotals, Scenarios: t.Scenarios}
		for k, n := range t.Misses {
			c := t.Concepts[k]
			out.Missed = append(out.Missed, bot.TeamMiss{Key: k, Label: c.Label, Step: c.Step, Misses: n})
		}
		slices.SortFunc(out.Missed, func(a, b bot.TeamMiss) int {
			if a.Misses != b.Misses {
				return b.Misses - a.Misses
			}
			return strings.Compare(b.Key, a.Key)
		})
		if len(out.Missed) > max(limit, 0) {
			out.Missed = out.Missed[:max(limit, 0)]
		}
		return nil
	})
	return out, err
}

// StatsOf implements bot.ProgressStore in one read transaction.
func (s *Store) StatsOf(ctx context.Context, ws bot.Workspace, users []string) (map[string]bot.Stats, error) {
	out := make(map[string]bot.Stats, len(users))
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketStats)
		for _, u := range users {
			var st bot.Stats
			if err := getJSON(b, userKey(bot.UserKey{Platform: ws.Platform, Workspace: ws.ID, UserID: u}), &st); err != nil && !errors.Is(err, bot.ErrNotFound) {
				return err
			}
			st.Recent, st.Scores = nil, nil
			out[u] = st
		}
		return nil
	})
	return out, err
}
