package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mlsdbot/mlsd/bot"
)

var _ bot.ProgressStore = (*Store)(nil)

// encodeProgress turns a completion's marks and history entry into
// save.lua's arguments. The marks are a JSON array of
// [key, "<step>\t<weight>\t<important>\t<label>", outcome], which cjson
// reads in the script.
func encodeProgress(c *bot.Completion) (marks, hist string, err error) {
	rows := make([][3]string, len(c.Marks))
	for i, m := range c.Marks {
		imp := "0"
		if m.Important {
			imp = "1"
		}
		meta := strconv.Itoa(int(m.Step)) + "\t" + formatFloat(m.Weight) + "\t" + imp + "\t" + m.Label
		rows[i] = [3]string{m.Key, meta, string(m.Outcome)}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return "", "", fmt.Errorf("redis: encode concept marks: %w", err)
	}
	marks = string(b)
	if c.History != nil {
		h, err := json.Marshal(c.History)
		if err != nil {
			return "", "", fmt.Errorf("redis: encode history entry: %w", err)
		}
		hist = string(h)
	}
	return marks, hist, nil
}

// Progress reads the user's coverage hash and history list in one round trip.
func (s *Store) Progress(ctx context.Context, user bot.UserKey) (bot.PersonProgress, error) {
	var cov *goredis.MapStringStringCmd
	var hist *goredis.StringSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		cov = p.HGetAll(ctx, s.keys.coverage(user))
		hist = p.LRange(ctx, s.keys.history(user), 0, bot.HistoryLimit-1)
		return nil
	})
	if err != nil {
		return bot.PersonProgress{}, s.fail("progress", err)
	}
	var out bot.PersonProgress
	fields := cov.Val()
	for f, recent := range fields {
		key, ok := strings.CutPrefix(f, "h:")
		if !ok {
			continue
		}
		t := bot.ConceptTrack{Key: key, Recent: recent}
		t.Total, _ = strconv.Atoi(fields["n:"+key])
		meta := strings.SplitN(fields["l:"+key], "\t", 4)
		if len(meta) != 4 {
			return bot.PersonProgress{}, fmt.Errorf("redis: corrupt coverage entry %q", key)
		}
		n, _ := strconv.Atoi(meta[0])
		t.Weight, _ = strconv.ParseFloat(meta[1], 64)
		t.Step, t.Important, t.Label = bot.StepID(n), meta[2] == "1", meta[3]
		out.Tracks = append(out.Tracks, t)
	}
	for _, raw := range hist.Val() {
		var e bot.HistoryEntry
		if err := json.Unmarshal([]byte(raw), &e); err != nil {
			return bot.PersonProgress{}, fmt.Errorf("redis: corrupt history entry: %w", err)
		}
		out.History = append(out.History, e)
	}
	return out, nil
}
