package redis

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
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

// teamCall builds team.lua's keys and arguments for a completion.
func (s *Store) teamCall(ws bot.Workspace, userID string, c *bot.Completion, week, month string, monthExpireMs int64) ([]string, []any, error) {
	missed := bot.TeamMisses(c.Marks)
	rows := make([][2]string, len(missed))
	for i, m := range missed {
		rows[i] = [2]string{m.Key, strconv.Itoa(int(m.Step)) + "\t" + m.Label}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return nil, nil, fmt.Errorf("redis: encode team misses: %w", err)
	}
	args := []any{c.SessionID, week, month, c.ScenarioID, monthExpireMs}
	for _, v := range c.StepScores {
		args = append(args, formatFloat(v))
	}
	u := bot.UserKey{Platform: ws.Platform, Workspace: ws.ID, UserID: userID}
	row, err := json.Marshal(bot.NewExportRow(u, c))
	if err != nil {
		return nil, nil, fmt.Errorf("redis: encode export row: %w", err)
	}
	at := c.At
	if at.IsZero() {
		at = s.now()
	}
	args = append(args, string(b), exportField(userID, c.SessionID), string(row), at.AddDate(0, exportMonths, 0).UnixMilli())
	return s.keys.teamKeys(ws, month), args, nil
}

// exportMonths is how long a month's export rows are kept after their
// completion: a year of monthly exports, and a month to spare.
const exportMonths = 13

// ExportRows implements bot.ExportStore: one HGETALL.
func (s *Store) ExportRows(ctx context.Context, ws bot.Workspace, month string) ([]bot.ExportRow, error) {
	all, err := s.rdb.HGetAll(ctx, s.keys.export(ws, month)).Result()
	if err != nil {
		return nil, s.fail("export rows", err)
	}
	out := make([]bot.ExportRow, 0, len(all))
	for field, v := range all {
		var r bot.ExportRow
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			return nil, fmt.Errorf("redis: export row %q: %w", field, err)
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b bot.ExportRow) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.SessionID, b.SessionID))
	})
	return out, nil
}

// Team reads the workspace aggregate with team_read.lua: one round trip.
func (s *Store) Team(ctx context.Context, ws bot.Workspace, week, month string, limit int) (bot.TeamStats, error) {
	raw, err := s.teamRead.Run(ctx, s.rdb, s.keys.teamKeys(ws, month), week, month, max(limit, 0)).Result()
	if err != nil {
		return bot.TeamStats{}, s.fail("team", err)
	}
	bad := fmt.Errorf("redis: unexpected team_read.lua reply %#v", raw)
	parts, ok := raw.([]any)
	if !ok || len(parts) != 3 {
		return bot.TeamStats{}, bad
	}
	counts, ok1 := parts[0].([]any)
	missed, ok2 := parts[1].([]any)
	scen, ok3 := parts[2].([]any)
	if !ok1 || !ok2 || !ok3 || len(counts) != 3+bot.Steps {
		return bot.TeamStats{}, bad
	}
	str := func(v any) string { x, _ := v.(string); return x }
	num := func(v any) float64 { x, _ := strconv.ParseFloat(str(v), 64); return x }
	out := bot.TeamStats{Sessions: int(num(counts[0])), Week: int(num(counts[1])), Month: int(num(counts[2])), Scenarios: map[string]int{}}
	for i := range out.StepTotals {
		out.StepTotals[i] = num(counts[3+i])
	}
	for i := 0; i+2 < len(missed); i += 3 {
		step, label, _ := strings.Cut(str(missed[i+2]), "\t")
		n, _ := strconv.Atoi(step)
		out.Missed = append(out.Missed, bot.TeamMiss{Key: str(missed[i]), Label: label, Step: bot.StepID(n), Misses: int(num(missed[i+1]))})
	}
	for i := 0; i+1 < len(scen); i += 2 {
		out.Scenarios[str(scen[i])] = int(num(scen[i+1]))
	}
	return out, nil
}
