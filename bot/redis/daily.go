package redis

import (
	_ "embed"

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

// The daily challenge's keys (P is Options.Prefix). Per workspace, tag
// {platform:workspace} — the leaderboards' slot:
//
//	P:daily:{…}:ch:<channel>              HASH cfg (JSON), rot (JSON: used, last), revealed (date), now (unix ms),
//	                                      x ("1": the record exists even with every other field cleared)
//	P:daily:{…}:thr:<channel>:<thread>    HASH post (JSON), revealed ("1") — the post's thread binding, TTL
//	P:daily:{…}:ans:<channel>:<date>      HASH user id → counted answer (JSON), TTL
//	P:daily:{…}:optout                    SET user ids out of the public reveals
//
// Per user, in the user's slot next to stats and period totals:
//
//	P:iv:{…}:daily:<channel>:<date>       STRING the counted answer (JSON), TTL — "first answer" marker
//
// Global (single keys, any slot):
//
//	P:daily:chans      SET escaped "platform:workspace:channel" of every channel with a record
//	P:claim:<key>      STRING "c:<unix ms>[:<note>]" while held, "done" once finished, TTL
//	P:due:{nudge}      ZSET escaped "platform:workspace:user:session" → due (unix ms)
var (
	//go:embed lua/daily_credit.lua
	dailyCreditLua string
	//go:embed lua/daily_claim.lua
	dailyClaimLua string
	//go:embed lua/daily_reveal.lua
	dailyRevealLua string
	//go:embed lua/daily_due.lua
	dailyDueLua string
	//go:embed lua/daily_note.lua
	dailyNoteLua string
)

// The scripts are immutable after start-up; Run is safe for concurrent use.
var (
	dailyCreditScript = goredis.NewScript(dailyCreditLua)
	dailyClaimScript  = goredis.NewScript(dailyClaimLua)
	dailyRevealScript = goredis.NewScript(dailyRevealLua)
	dailyDueScript    = goredis.NewScript(dailyDueLua)
	dailyNoteScript   = goredis.NewScript(dailyNoteLua)
)

var _ bot.DailyStore = (*Store)(nil)

var unescaper = strings.NewReplacer("%3A", ":", "%7B", "{", "%7D", "}", "%25", "%")

func unesc(s string) string { return unescaper.Replace(s) }

func (k keys) dailyIndex() string { return k.prefix + ":daily:chans" }

func (k keys) dailyTeam(p bot.Platform, ws string) string {
	return k.prefix + ":daily:{" + esc(string(p)) + ":" + esc(ws) + "}"
}

func (k keys) dailyChannel(ch bot.ChannelRef) string {
	return k.dailyTeam(ch.Platform, ch.Workspace) + ":ch:" + esc(ch.Channel)
}

func (k keys) dailyThread(r bot.ThreadRef) string {
	return k.dailyTeam(r.Platform, r.Workspace) + ":thr:" + esc(r.Channel) + ":" + esc(r.Thread)
}

func (k keys) dailyAnswers(p bot.DailyPost) string {
	return k.dailyTeam(p.Channel.Platform, p.Channel.Workspace) + ":ans:" + esc(p.Channel.Channel) + ":" + esc(p.Date)
}

func (k keys) dailyOptOut(ws bot.Workspace) string {
	return k.dailyTeam(ws.Platform, ws.ID) + ":optout"
}

func (k keys) dailyCredit(u bot.UserKey, p bot.DailyPost) string {
	return k.user(u) + ":daily:" + esc(p.Channel.Channel) + ":" + esc(p.Date)
}

func (k keys) claim(key string) string { return k.prefix + ":claim:" + esc(key) }

func (k keys) nudges() string { return k.prefix + ":due:{nudge}" }

func channelMember(ch bot.ChannelRef) string {
	return esc(string(ch.Platform)) + ":" + esc(ch.Workspace) + ":" + esc(ch.Channel)
}

func parseChannelMember(m string) (bot.ChannelRef, bool) {
	parts := strings.Split(m, ":")
	if len(parts) != 3 {
		return bot.ChannelRef{}, false
	}
	return bot.ChannelRef{Platform: bot.Platform(unesc(parts[0])), Workspace: unesc(parts[1]), Channel: unesc(parts[2])}, true
}

func nudgeMember(n bot.NudgeRef) string {
	return esc(string(n.User.Platform)) + ":" + esc(n.User.Workspace) + ":" + esc(n.User.UserID) + ":" + esc(n.SessionID)
}

func parseNudgeMember(m string) (bot.NudgeRef, error) {
	parts := strings.Split(m, ":")
	if len(parts) != 4 {
		return bot.NudgeRef{}, fmt.Errorf("redis: corrupt idle-check entry %q", m)
	}
	return bot.NudgeRef{
		User:      bot.UserKey{Platform: bot.Platform(unesc(parts[0])), Workspace: unesc(parts[1]), UserID: unesc(parts[2])},
		SessionID: unesc(parts[3]),
	}, nil
}

// rotation is the "rot" field of a channel: written only by RecordDailyPost.
type rotation struct {
	Used []string       `json:"used,omitempty"`
	Last *bot.DailyPost `json:"last,omitempty"`
}

func decodeSchedule(ch bot.ChannelRef, f map[string]string) (bot.DailySchedule, error) {
	s := bot.DailySchedule{Channel: ch, RevealedDate: f["revealed"]}
	if v := f["cfg"]; v != "" {
		if err := json.Unmarshal([]byte(v), &s.Config); err != nil {
			return s, fmt.Errorf("redis: corrupt daily config of %s: %w", ch, err)
		}
	}
	if v := f["rot"]; v != "" {
		var r rotation
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			return s, fmt.Errorf("redis: corrupt daily rotation of %s: %w", ch, err)
		}
		s.Used, s.Last = r.Used, r.Last
		if s.Last != nil && s.RevealedDate != "" && s.RevealedDate == s.Last.Date {
			s.Last.Revealed = true
		}
	}
	if v := f["now"]; v != "" {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return s, fmt.Errorf("redis: corrupt daily request time of %s: %q", ch, v)
		}
		s.NowRequested = time.UnixMilli(ms).UTC()
	}
	return s, nil
}

// DailySchedule reads a channel's record in one command.
func (s *Store) DailySchedule(ctx context.Context, ch bot.ChannelRef) (bot.DailySchedule, error) {
	f, err := s.rdb.HGetAll(ctx, s.keys.dailyChannel(ch)).Result()
	if err != nil {
		return bot.DailySchedule{}, s.fail("daily schedule", err)
	}
	if len(f) == 0 {
		return bot.DailySchedule{}, fmt.Errorf("redis: no daily record for %s: %w", ch, bot.ErrNotFound)
	}
	return decodeSchedule(ch, f)
}

// DailySchedules reads the index, then every record in one pipeline.
func (s *Store) DailySchedules(ctx context.Context) ([]bot.DailySchedule, error) {
	members, err := s.rdb.SMembers(ctx, s.keys.dailyIndex()).Result()
	if err != nil {
		return nil, s.fail("daily schedules", err)
	}
	chans := make([]bot.ChannelRef, 0, len(members))
	for _, m := range members {
		if ch, ok := parseChannelMember(m); ok {
			chans = append(chans, ch)
		}
	}
	if len(chans) == 0 {
		return nil, nil
	}
	cmds := make([]*goredis.MapStringStringCmd, len(chans))
	_, err = s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, ch := range chans {
			cmds[i] = p.HGetAll(ctx, s.keys.dailyChannel(ch))
		}
		return nil
	})
	if err != nil {
		return nil, s.fail("daily schedules", err)
	}
	out := make([]bot.DailySchedule, 0, len(chans))
	for i, c := range cmds {
		if len(c.Val()) == 0 {
			continue
		}
		sch, err := decodeSchedule(chans[i], c.Val())
		if err != nil {
			return nil, err
		}
		out = append(out, sch)
	}
	return out, nil
}

// setChannelField indexes the channel and sets one field of its record:
// each writer owns its fields, so none reads-modifies-writes another's.
func (s *Store) setChannelField(ctx context.Context, op string, ch bot.ChannelRef, field string, value any) error {
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		p.SAdd(ctx, s.keys.dailyIndex(), channelMember(ch))
		p.HSet(ctx, s.keys.dailyChannel(ch), field, value, "x", "1")
		return nil
	})
	if err != nil {
		return s.fail(op, err)
	}
	return nil
}

// SetDailyConfig writes the cfg field.
func (s *Store) SetDailyConfig(ctx context.Context, ch bot.ChannelRef, cfg bot.DailyConfig) error {
	doc, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("redis: encode daily config: %w", err)
	}
	return s.setChannelField(ctx, "set daily config", ch, "cfg", doc)
}

// RequestDailyNow writes the now field.
func (s *Store) RequestDailyNow(ctx context.Context, ch bot.ChannelRef, at time.Time) error {
	return s.setChannelField(ctx, "request daily now", ch, "now", at.UnixMilli())
}

// ClearDailyNow deletes the now field.
func (s *Store) ClearDailyNow(ctx context.Context, ch bot.ChannelRef) error {
	if err := s.rdb.HDel(ctx, s.keys.dailyChannel(ch), "now").Err(); err != nil {
		return s.fail("clear daily now", err)
	}
	return nil
}

// RecordDailyPost writes the rot field and the thread binding in one
// MULTI (one slot), after indexing the channel.
func (s *Store) RecordDailyPost(ctx context.Context, p bot.DailyPost, used []string, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("redis: RecordDailyPost %s %s: ttl must be positive", p.Channel, p.Date)
	}
	post := p
	post.Revealed = false // kept in the binding's own field
	rot, err := json.Marshal(rotation{Used: used, Last: &post})
	if err != nil {
		return fmt.Errorf("redis: encode daily rotation: %w", err)
	}
	doc, err := json.Marshal(post)
	if err != nil {
		return fmt.Errorf("redis: encode daily post: %w", err)
	}
	if err := s.rdb.SAdd(ctx, s.keys.dailyIndex(), channelMember(p.Channel)).Err(); err != nil {
		return s.fail("record daily post", err)
	}
	_, err = s.rdb.TxPipelined(ctx, func(pipe goredis.Pipeliner) error {
		pipe.HSet(ctx, s.keys.dailyChannel(p.Channel), "rot", rot, "x", "1")
		if p.Thread != "" {
			thr := s.keys.dailyThread(p.Ref())
			pipe.HSet(ctx, thr, "post", doc)
			if p.Revealed {
				pipe.HSet(ctx, thr, "revealed", "1")
			}
			pipe.PExpire(ctx, thr, ttl)
		}
		return nil
	})
	if err != nil {
		return s.fail("record daily post", err)
	}
	return nil
}

// DailyThread reads a thread binding in one command.
func (s *Store) DailyThread(ctx context.Context, ref bot.ThreadRef) (bot.DailyPost, error) {
	f, err := s.rdb.HGetAll(ctx, s.keys.dailyThread(ref)).Result()
	if err != nil {
		return bot.DailyPost{}, s.fail("daily thread", err)
	}
	doc, ok := f["post"]
	if !ok {
		return bot.DailyPost{}, fmt.Errorf("redis: daily thread %s/%s: %w", ref.Channel, ref.Thread, bot.ErrNotFound)
	}
	var p bot.DailyPost
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return bot.DailyPost{}, fmt.Errorf("redis: corrupt daily thread binding: %w", err)
	}
	p.Revealed = p.Revealed || f["revealed"] == "1"
	return p, nil
}

// MarkDailyRevealed runs daily_reveal.lua on the workspace's slot.
func (s *Store) MarkDailyRevealed(ctx context.Context, p bot.DailyPost) error {
	keys := []string{s.keys.dailyThread(p.Ref()), s.keys.dailyChannel(p.Channel)}
	if err := dailyRevealScript.Run(ctx, s.rdb, keys, p.Date).Err(); err != nil {
		return s.fail("mark daily revealed", err)
	}
	return nil
}

// Claim runs daily_claim.lua; the lease is measured on Options.Now.
func (s *Store) Claim(ctx context.Context, key string, lease, ttl time.Duration) (bool, error) {
	if key == "" || ttl <= 0 {
		return false, fmt.Errorf("redis: Claim %q: needs a key and a positive ttl", key)
	}
	won, err := dailyClaimScript.Run(ctx, s.rdb, []string{s.keys.claim(key)}, s.now().UnixMilli(), max(lease, 0).Milliseconds(), ttl.Milliseconds()).Int()
	if err != nil {
		return false, s.fail("claim "+key, err)
	}
	return won == 1, nil
}

// Finish is SET done XX KEEPTTL: only a key that still exists is marked.
func (s *Store) Finish(ctx context.Context, key string) error {
	err := s.rdb.SetArgs(ctx, s.keys.claim(key), "done", goredis.SetArgs{Mode: "XX", KeepTTL: true}).Err()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return s.fail("finish "+key, err)
	}
	return nil
}

// NoteClaim runs daily_note.lua: the note joins the claim's value, so it
// shares its TTL and a takeover keeps it.
func (s *Store) NoteClaim(ctx context.Context, key, note string) error {
	found, err := dailyNoteScript.Run(ctx, s.rdb, []string{s.keys.claim(key)}, note).Int()
	if err != nil {
		return s.fail("note claim "+key, err)
	}
	if found == 0 {
		return fmt.Errorf("redis: NoteClaim %q: %w", key, bot.ErrNotFound)
	}
	return nil
}

// ClaimNote reads the note out of the claim's value.
func (s *Store) ClaimNote(ctx context.Context, key string) (string, error) {
	v, err := s.rdb.Get(ctx, s.keys.claim(key)).Result()
	if errors.Is(err, goredis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", s.fail("claim note "+key, err)
	}
	rest, ok := strings.CutPrefix(v, "c:")
	if !ok {
		return "", nil // finished
	}
	_, note, _ := strings.Cut(rest, ":")
	return note, nil
}

// RecordDailyAnswer runs daily_credit.lua on the user's slot (the marker,
// stats and period totals change together, so the credit is applied
// once), then, in one pipeline on the workspace's slot, adds the counted
// answer to the post's answers (HSETNX: a retry repairs it, never changes
// it) and, for a first answer, publishes the user's absolute totals to the
// leaderboards with publish.lua. A failed publish is logged: the credit
// stands and the boards catch up at the user's next publish.
func (s *Store) RecordDailyAnswer(ctx context.Context, p bot.DailyPost, a bot.DailyAnswer, ttl time.Duration) (bot.DailyAnswer, bool, error) {
	if ttl <= 0 {
		return bot.DailyAnswer{}, false, errors.New("redis: RecordDailyAnswer: ttl must be positive")
	}
	day, err := time.Parse(time.DateOnly, a.Day)
	if err != nil || a.User.UserID == "" {
		return bot.DailyAnswer{}, false, fmt.Errorf("redis: RecordDailyAnswer: needs a user and a YYYY-MM-DD day (got %q)", a.Day)
	}
	doc, err := json.Marshal(a)
	if err != nil {
		return bot.DailyAnswer{}, false, fmt.Errorf("redis: encode daily answer: %w", err)
	}
	u := a.User
	periods := [3]bot.Period{bot.WeekPeriod(a.Week), bot.MonthPeriod(a.Month), bot.AllTime}
	expireAt, err := periodExpiries(periods, s.now())
	if err != nil {
		return bot.DailyAnswer{}, false, err
	}
	keys := []string{s.keys.dailyCredit(u, p), s.keys.stats(u), s.keys.userPeriod(u, periods[0]), s.keys.userPeriod(u, periods[1])}
	reply, err := dailyCreditScript.Run(ctx, s.rdb, keys, doc, ttl.Milliseconds(), formatFloat(a.Points), a.At.UnixMilli(),
		a.Day, day.AddDate(0, 0, -1).Format(time.DateOnly), expireAt[0], expireAt[1]).Slice()
	if err != nil {
		return bot.DailyAnswer{}, false, s.fail("record daily answer", err)
	}
	bad := fmt.Errorf("redis: unexpected daily_credit.lua reply %#v", reply)
	if len(reply) < 2 {
		return bot.DailyAnswer{}, false, bad
	}
	code, _ := reply[0].(int64)
	countedDoc, _ := reply[1].(string)
	var counted bot.DailyAnswer
	if err := json.Unmarshal([]byte(countedDoc), &counted); err != nil {
		return bot.DailyAnswer{}, false, fmt.Errorf("redis: corrupt counted daily answer: %w", err)
	}
	first := code == 1
	if first && len(reply) != 11 {
		return bot.DailyAnswer{}, false, bad
	}

	var bkeys []string
	var bargs []any
	if first {
		ws := bot.Workspace{Platform: u.Platform, ID: u.Workspace}
		bargs = []any{u.UserID, a.UserName}
		for i, per := range periods {
			pts, _ := reply[2+3*i].(string)
			n, _ := reply[3+3*i].(string)
			at, _ := reply[4+3*i].(string)
			atMs, _ := strconv.ParseInt(at, 10, 64)
			bkeys = append(bkeys, s.keys.board(ws, per), s.keys.boardMeta(ws, per))
			bargs = append(bargs, n, pts, boardMember(u.UserID, atMs), expireAt[i])
		}
	}
	ans := s.keys.dailyAnswers(p)
	ms := ttl.Milliseconds()
	var hset *goredis.BoolCmd
	var publish *goredis.Cmd
	// Pipelined's error repeats a command's own; each is checked below.
	_, _ = s.rdb.Pipelined(ctx, func(pipe goredis.Pipeliner) error {
		hset = pipe.HSetNX(ctx, ans, u.UserID, countedDoc)
		// The answers outlive every marker: a TTL on a new hash (NX), and
		// only ever lengthened (GT).
		pipe.Do(ctx, "PEXPIRE", ans, ms, "NX")
		pipe.Do(ctx, "PEXPIRE", ans, ms, "GT")
		if first {
			publish = s.publish.EvalSha(ctx, pipe, bkeys, bargs...)
		}
		return nil
	})
	if err := hset.Err(); err != nil {
		return counted, first, s.fail("record daily answer", err)
	}
	if publish != nil {
		err := publish.Err()
		if goredis.HasErrorPrefix(err, "NOSCRIPT") {
			err = s.publish.Run(ctx, s.rdb, bkeys, bargs...).Err()
		}
		if err != nil {
			s.log.Error("redis: leaderboard update of a daily answer failed; it catches up at the user's next one",
				"user", u.String(), "err", err)
		}
	}
	return counted, first, nil
}

// DailyAnswers reads a post's answers in one command.
func (s *Store) DailyAnswers(ctx context.Context, p bot.DailyPost) ([]bot.DailyAnswer, error) {
	f, err := s.rdb.HGetAll(ctx, s.keys.dailyAnswers(p)).Result()
	if err != nil {
		return nil, s.fail("daily answers", err)
	}
	out := make([]bot.DailyAnswer, 0, len(f))
	for _, doc := range f {
		var a bot.DailyAnswer
		if err := json.Unmarshal([]byte(doc), &a); err != nil {
			return nil, fmt.Errorf("redis: corrupt daily answer: %w", err)
		}
		out = append(out, a)
	}
	bot.SortDailyAnswers(out)
	return out, nil
}

// SetDailyOptOut adds the user to, or removes them from, the workspace's set.
func (s *Store) SetDailyOptOut(ctx context.Context, user bot.UserKey, out bool) error {
	key := s.keys.dailyOptOut(bot.Workspace{Platform: user.Platform, ID: user.Workspace})
	var err error
	if out {
		err = s.rdb.SAdd(ctx, key, user.UserID).Err()
	} else {
		err = s.rdb.SRem(ctx, key, user.UserID).Err()
	}
	if err != nil {
		return s.fail("daily opt-out", err)
	}
	return nil
}

// DailyOptedOut asks about every user in one pipeline.
func (s *Store) DailyOptedOut(ctx context.Context, ws bot.Workspace, users []string) (map[string]bool, error) {
	out := make(map[string]bool)
	if len(users) == 0 {
		return out, nil
	}
	key := s.keys.dailyOptOut(ws)
	cmds := make([]*goredis.BoolCmd, len(users))
	_, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, u := range users {
			cmds[i] = p.SIsMember(ctx, key, u)
		}
		return nil
	})
	if err != nil {
		return nil, s.fail("daily opted out", err)
	}
	for i, c := range cmds {
		if c.Val() {
			out[users[i]] = true
		}
	}
	return out, nil
}

// ScheduleNudge is ZADD: one member per session, so it replaces.
func (s *Store) ScheduleNudge(ctx context.Context, n bot.NudgeRef, due time.Time) error {
	if err := s.rdb.ZAdd(ctx, s.keys.nudges(), goredis.Z{Score: float64(due.UnixMilli()), Member: nudgeMember(n)}).Err(); err != nil {
		return s.fail("schedule nudge", err)
	}
	return nil
}

// DueNudges runs daily_due.lua: claim and lease in one step.
func (s *Store) DueNudges(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]bot.NudgeRef, error) {
	if limit <= 0 {
		return nil, nil
	}
	members, err := dailyDueScript.Run(ctx, s.rdb, []string{s.keys.nudges()}, now.UnixMilli(), limit, max(lease, 0).Milliseconds()).StringSlice()
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, s.fail("due nudges", err)
	}
	out := make([]bot.NudgeRef, 0, len(members))
	for _, m := range members {
		n, err := parseNudgeMember(m)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// CancelNudge is ZREM.
func (s *Store) CancelNudge(ctx context.Context, n bot.NudgeRef) error {
	if err := s.rdb.ZRem(ctx, s.keys.nudges(), nudgeMember(n)).Err(); err != nil {
		return s.fail("cancel nudge", err)
	}
	return nil
}
