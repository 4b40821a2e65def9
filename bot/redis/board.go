package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mlsdbot/mlsd/bot"
)

// completion is a Completion turned into save.lua's extra keys and args,
// plus what publish.lua needs afterwards.
type completion struct {
	keys     []string
	args     []any
	ws       bot.Workspace
	userName string
	periods  [3]bot.Period // week, month, all time: the order save.lua returns totals in
	expireAt [3]int64      // unix ms; 0 = never
	// team.lua's call: the workspace aggregate
	teamKeys []string
	teamArgs []any
}

func (s *Store) newCompletion(u bot.UserKey, c *bot.Completion) (*completion, error) {
	at := c.At
	if at.IsZero() {
		at = s.now()
	}
	week, month, day := c.Week, c.Month, c.Day
	if week == "" {
		week = bot.ISOWeek(at.UTC())
	}
	if month == "" {
		month = at.UTC().Format("2006-01")
	}
	if day == "" {
		day = at.UTC().Format("2006-01-02")
	}
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return nil, fmt.Errorf("redis: completion day %q is not YYYY-MM-DD", day)
	}
	periods := [3]bot.Period{bot.WeekPeriod(week), bot.MonthPeriod(month), bot.AllTime}
	expireAt, err := periodExpiries(periods, s.now())
	if err != nil {
		return nil, err
	}
	cp := &completion{
		ws:       bot.Workspace{Platform: u.Platform, ID: u.Workspace},
		userName: c.UserName,
		periods:  periods,
		expireAt: expireAt,
	}
	cp.keys = []string{s.keys.stats(u), s.keys.recent(u), s.keys.userPeriod(u, cp.periods[0]), s.keys.userPeriod(u, cp.periods[1]),
		s.keys.coverage(u), s.keys.history(u), s.keys.scores(u)}
	cp.args = []any{c.Score, formatFloat(c.Points)}
	for _, st := range c.StepScores {
		cp.args = append(cp.args, formatFloat(st))
	}
	cp.args = append(cp.args, at.UnixMilli(), c.ScenarioID, day, d.AddDate(0, 0, -1).Format(time.DateOnly),
		cp.expireAt[0], cp.expireAt[1], bot.RecentLimit)
	marks, hist, err := encodeProgress(c)
	if err != nil {
		return nil, err
	}
	drill := "0"
	if c.Drill {
		drill = "1"
	}
	point, err := json.Marshal(bot.ScorePoint{Day: day, Score: c.Score, Steps: c.StepScores})
	if err != nil {
		return nil, err
	}
	cp.args = append(cp.args, marks, hist, bot.HistoryLimit, bot.CoverageWindow, drill, string(point), bot.ScoresLimit)
	if !c.Drill { // the team counts interviews
		if cp.teamKeys, cp.teamArgs, err = s.teamCall(cp.ws, u.UserID, c, week, month, cp.expireAt[1]); err != nil {
			return nil, err
		}
	}
	return cp, nil
}

// formatFloat is exact: Lua's tonumber and Redis's strtod read it back bit
// for bit.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// periodExpiries are the unix-ms expiry times of periods' keys written
// at now (0 = never), by bot.PeriodExpiry, the rule every store shares.
func periodExpiries(periods [3]bot.Period, now time.Time) ([3]int64, error) {
	var out [3]int64
	for i, p := range periods {
		at, ok, err := bot.PeriodExpiry(p, now)
		if err != nil {
			return out, fmt.Errorf("redis: %w", err)
		}
		if ok {
			out[i] = at.UnixMilli()
		}
	}
	return out, nil
}

// checkPeriod accepts AllTime, WeekPeriod and MonthPeriod values.
func checkPeriod(p bot.Period) error {
	switch {
	case p == bot.AllTime:
		return nil
	case strings.HasPrefix(string(p), "w:"), strings.HasPrefix(string(p), "m:"):
		if _, err := bot.PeriodEnd(p); err != nil {
			return fmt.Errorf("redis: %w", err)
		}
		return nil
	}
	return fmt.Errorf("redis: unknown leaderboard period %q", p)
}

// maxInvertedMs bounds the time part of a board member (year 2286).
const maxInvertedMs = 9_999_999_999_999

// boardMember is the ZSET member of a user's total: the time the total was
// reached, inverted and zero-padded, then the user id. Equal scores are
// ordered by member, so the earlier time ranks first, to the millisecond.
func boardMember(user string, atMs int64) string {
	atMs = min(max(atMs, 0), maxInvertedMs)
	return fmt.Sprintf("%013d:%s", maxInvertedMs-atMs, user)
}

// memberLen is the length of the time part plus its colon.
const memberLen = 14

// publishTotals writes the absolute totals save.lua returned to the
// workspace's week, month and all-time boards (one round trip). A failure
// is logged, not returned: the state change it follows has landed.
func (s *Store) publishTotals(ctx context.Context, u bot.UserKey, c *completion, t *saveTotals) {
	if t == nil {
		return
	}
	var keys []string
	args := []any{u.UserID, c.userName}
	for i, p := range c.periods {
		pt := t.periods[i]
		if (pt.sessions == "0" || pt.sessions == "") && (pt.points == "0" || pt.points == "") {
			continue // nothing counted in this period (a replay from another week)
		}
		keys = append(keys, s.keys.board(c.ws, p), s.keys.boardMeta(c.ws, p))
		args = append(args, pt.sessions, pt.points, boardMember(u.UserID, pt.atMs), c.expireAt[i])
	}
	var calls []scriptCall // a drill-only replay may have none
	if len(keys) > 0 {
		calls = append(calls, scriptCall{s.publish, keys, args})
	}
	if c.teamKeys != nil {
		calls = append(calls, scriptCall{s.team, c.teamKeys, c.teamArgs})
	}
	for i, err := range s.runPipelined(ctx, calls) {
		switch {
		case err == nil:
		case calls[i].script == s.publish:
			s.log.Error("redis: leaderboard update failed; it catches up at the next completion",
				"user", u.String(), "err", err)
		default:
			s.log.Error("redis: team aggregate update failed; a replay of the completing message repairs it",
				"user", u.String(), "err", err)
		}
	}
}

// scriptCall is one script run inside a pipeline.
type scriptCall struct {
	script *goredis.Script
	keys   []string
	args   []any
}

// runPipelined sends the scripts in one pipeline (one round trip; they
// may share a slot or not, a Cluster client splits the pipeline by node)
// and resends those that found their script missing with EVAL. It returns
// each call's error.
func (s *Store) runPipelined(ctx context.Context, calls []scriptCall) []error {
	if len(calls) == 0 {
		return nil
	}
	send := func(eval bool, idx []int) []*goredis.Cmd {
		cmds := make([]*goredis.Cmd, len(idx))
		_, _ = s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for i, j := range idx {
				c := calls[j]
				if eval {
					cmds[i] = c.script.Eval(ctx, p, c.keys, c.args...)
				} else {
					cmds[i] = c.script.EvalSha(ctx, p, c.keys, c.args...)
				}
			}
			return nil
		})
		return cmds
	}
	all := make([]int, len(calls))
	for i := range all {
		all[i] = i
	}
	errs := make([]error, len(calls))
	var again []int
	for i, cmd := range send(false, all) {
		if err := cmd.Err(); goredis.HasErrorPrefix(err, "NOSCRIPT") {
			again = append(again, i)
		} else if err != nil && !errors.Is(err, goredis.Nil) {
			errs[i] = err
		}
	}
	if len(again) > 0 {
		for i, cmd := range send(true, again) {
			if err := cmd.Err(); err != nil && !errors.Is(err, goredis.Nil) {
				errs[again[i]] = err
			}
		}
	}
	return errs
}

// Stats reads the user's totals in one round trip.
func (s *Store) Stats(ctx context.Context, user bot.UserKey) (bot.Stats, error) {
	var fields *goredis.MapStringStringCmd
	var recent, scores *goredis.StringSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		fields = p.HGetAll(ctx, s.keys.stats(user))
		recent = p.LRange(ctx, s.keys.recent(user), 0, bot.RecentLimit-1)
		scores = p.LRange(ctx, s.keys.scores(user), 0, bot.ScoresLimit-1)
		return nil
	})
	if err != nil {
		return bot.Stats{}, s.fail("stats", err)
	}
	st, err := parseStats(fields.Val(), recent.Val())
	for _, h := range scores.Val() {
		var p bot.ScorePoint
		if jerr := json.Unmarshal([]byte(h), &p); jerr != nil {
			if err == nil {
				err = fmt.Errorf("redis: score point %q: %w", h, jerr)
			}
			continue
		}
		st.Scores = append(st.Scores, p)
	}
	return st, err
}

// parseStats reads the stats hash (and the recent list).
func parseStats(f map[string]string, recent []string) (bot.Stats, error) {
	var st bot.Stats
	var perr error
	num := func(name string) float64 {
		v, ok := f[name]
		if !ok {
			return 0
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil && perr == nil {
			perr = fmt.Errorf("redis: stats field %s=%q: %w", name, v, err)
		}
		return x
	}
	st.Sessions = int(num("sessions"))
	st.Points = num("points")
	for i := range st.StepTotals {
		st.StepTotals[i] = num("st" + strconv.Itoa(i+1))
	}
	st.BestScore = int(num("best"))
	st.LastScore = int(num("last"))
	st.Streak = int(num("streak"))
	st.BestStreak = int(num("best_streak"))
	st.LastDay = f["last_day"]
	if len(recent) > 0 {
		st.Recent = recent
	}
	return st, perr
}

// StatsOf reads several users' stats (without Recent) in one pipeline.
func (s *Store) StatsOf(ctx context.Context, ws bot.Workspace, users []string) (map[string]bot.Stats, error) {
	out := make(map[string]bot.Stats, len(users))
	if len(users) == 0 {
		return out, nil
	}
	cmds := make([]*goredis.MapStringStringCmd, len(users))
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, u := range users {
			cmds[i] = p.HGetAll(ctx, s.keys.stats(bot.UserKey{Platform: ws.Platform, Workspace: ws.ID, UserID: u}))
		}
		return nil
	})
	if err != nil {
		return nil, s.fail("stats of users", err)
	}
	for i, u := range users {
		st, err := parseStats(cmds[i].Val(), nil)
		if err != nil {
			return nil, err
		}
		out[u] = st
	}
	return out, nil
}

// Leaderboard reads a page and the viewer's standing in one round trip.
func (s *Store) Leaderboard(ctx context.Context, ws bot.Workspace, period bot.Period, limit int, viewer string) (bot.Board, error) {
	if err := checkPeriod(period); err != nil {
		return bot.Board{}, err
	}
	limit = max(limit, 0)
	keys := []string{s.keys.board(ws, period), s.keys.boardMeta(ws, period)}
	reply, err := s.board.Run(ctx, s.rdb, keys, limit, viewer).Result()
	if err != nil {
		return bot.Board{}, s.fail("leaderboard", err)
	}
	bad := fmt.Errorf("redis: unexpected board.lua reply %#v", reply)
	parts, ok := reply.([]any)
	if !ok || len(parts) != 2 {
		return bot.Board{}, bad
	}
	page, ok1 := parts[0].([]any)
	me, ok2 := parts[1].([]any)
	if !ok1 || !ok2 || len(page)%4 != 0 {
		return bot.Board{}, bad
	}
	b := bot.Board{Period: period}
	for i := 0; i < len(page); i += 4 {
		st, err := standing(len(b.Top)+1, page[i], page[i+1], page[i+2], page[i+3])
		if err != nil {
			return bot.Board{}, err
		}
		b.Top = append(b.Top, st)
	}
	if len(me) == 5 {
		rank, ok := me[0].(int64)
		if !ok {
			return bot.Board{}, bad
		}
		st, err := standing(int(rank)+1, me[1], me[2], me[3], me[4])
		if err != nil {
			return bot.Board{}, err
		}
		b.Viewer = &st
	}
	return b, nil
}

func standing(rank int, member, score, sessions, name any) (bot.Standing, error) {
	m, _ := member.(string)
	sc, _ := score.(string)
	n, _ := sessions.(string)
	nm, _ := name.(string)
	pts, err1 := strconv.ParseFloat(sc, 64)
	cnt, err2 := strconv.Atoi(n)
	if len(m) <= memberLen || err1 != nil || err2 != nil {
		return bot.Standing{}, errors.New("redis: corrupt leaderboard entry")
	}
	return bot.Standing{Rank: rank, UserID: m[memberLen:], UserName: nm, Points: pts, Sessions: cnt}, nil
}
