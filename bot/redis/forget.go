package redis

import (
	"context"
	"errors"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mlsdbot/mlsd/bot"
)

func (k keys) anonymous(ws bot.Workspace) string { return k.team(ws) + ":anon" }

// SetAnonymous adds the user to, or removes them from, the workspace's set.
func (s *Store) SetAnonymous(ctx context.Context, user bot.UserKey, on bool) error {
	key := s.keys.anonymous(bot.Workspace{Platform: user.Platform, ID: user.Workspace})
	var err error
	if on {
		err = s.rdb.SAdd(ctx, key, user.UserID).Err()
	} else {
		err = s.rdb.SRem(ctx, key, user.UserID).Err()
	}
	if err != nil {
		return s.fail("anonymous", err)
	}
	return nil
}

// Anonymous asks about every user with one SMISMEMBER.
func (s *Store) Anonymous(ctx context.Context, ws bot.Workspace, users []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(users) == 0 {
		return out, nil
	}
	members := make([]any, len(users))
	for i, u := range users {
		members[i] = u
	}
	got, err := s.rdb.SMIsMember(ctx, s.keys.anonymous(ws), members...).Result()
	if err != nil {
		return nil, s.fail("anonymous", err)
	}
	for i, in := range got {
		if in {
			out[users[i]] = true
		}
	}
	return out, nil
}

// globEscaper quotes the characters SCAN's MATCH reads as a pattern.
var globEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`)

// scanKeys lists the keys matching a literal prefix, on every master of a
// Cluster. Forget is rare and the prefixes are narrow, so a SCAN is fine.
func (s *Store) scanKeys(ctx context.Context, prefix string) ([]string, error) {
	pattern := globEscaper.Replace(prefix) + "*"
	scan := func(ctx context.Context, c goredis.Cmdable) ([]string, error) {
		var out []string
		it := c.Scan(ctx, 0, pattern, 500).Iterator()
		for it.Next(ctx) {
			out = append(out, it.Val())
		}
		return out, it.Err()
	}
	cc, ok := s.rdb.(*goredis.ClusterClient)
	if !ok {
		return scan(ctx, s.rdb)
	}
	var (
		all []string
		mu  = make(chan struct{}, 1)
	)
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
		keys, err := scan(ctx, c)
		mu <- struct{}{}
		all = append(all, keys...)
		<-mu
		return err
	})
	return all, err
}

// Forget deletes the user's keys (all in the user's slot, found by one
// SCAN of its prefix), their rows on every board of the workspace, their
// daily answers and opt-out, their idle checks, their thread index entries
// and the anonymous flag. It is not one atomic step (the keys live in
// several slots), but every step is idempotent, so calling it again
// finishes an interrupted run.
func (s *Store) Forget(ctx context.Context, user bot.UserKey) (map[string]int, error) {
	n := map[string]int{}
	ws := bot.Workspace{Platform: user.Platform, ID: user.Workspace}
	fail := func(err error) (map[string]int, error) { return nil, s.fail("forget", err) }

	own, err := s.scanKeys(ctx, s.keys.user(user)+":")
	if err != nil {
		return fail(err)
	}
	// Their session ids, to take out of the team's applied sets too.
	var sids []any
	if p, err := s.Progress(ctx, user); err == nil {
		n[bot.ForgotHistory], n[bot.ForgotCoverage] = len(p.History), len(p.Tracks)
		for _, h := range p.History {
			sids = append(sids, h.SessionID)
		}
	} else {
		return nil, err
	}
	if a, err := s.ActiveSession(ctx, user); err == nil {
		sids = append(sids, a.ID)
	}
	var threadIndexes []string
	bindingPrefix := s.keys.user(user) + ":thr:"
	for _, k := range own {
		rest := strings.TrimPrefix(k, s.keys.user(user)+":")
		switch {
		case rest == "active":
			n[bot.ForgotSessions]++
		case strings.HasPrefix(rest, "s:") && !strings.HasSuffix(rest, ":seen"):
			n[bot.ForgotSessions]++
			sids = append(sids, unesc(strings.TrimPrefix(rest, "s:")))
		case rest == "stats":
			n[bot.ForgotStats]++
		case strings.HasPrefix(k, bindingPrefix):
			n[bot.ForgotOther]++
			// P:iv:{u}:thr:<pl>:<ws>:<ch>:<th> → P:thr:{pl:ws}:<ch>:<th>
			if parts := strings.Split(strings.TrimPrefix(k, bindingPrefix), ":"); len(parts) == 4 {
				threadIndexes = append(threadIndexes, s.keys.prefix+":thr:{"+parts[0]+":"+parts[1]+"}:"+parts[2]+":"+parts[3])
			}
		}
	}

	// Board rows (every board of the workspace has a meta hash) and the
	// team's applied sets.
	metas, err := s.scanKeys(ctx, s.keys.team(ws)+":")
	if err != nil {
		return fail(err)
	}
	answers, err := s.scanKeys(ctx, s.keys.dailyTeam(user.Platform, user.Workspace)+":ans:")
	if err != nil {
		return fail(err)
	}
	var (
		boardRows    []*goredis.Cmd
		answerRows   []*goredis.IntCmd
		anon, optout *goredis.IntCmd
	)
	_, err = s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for _, meta := range metas {
			if strings.Contains(meta, ":team:applied:") && len(sids) > 0 {
				p.SRem(ctx, meta, sids...)
			}
			if !strings.HasSuffix(meta, ":meta") {
				continue
			}
			board := strings.TrimSuffix(meta, ":meta")
			// EVAL, not EVALSHA: in a pipeline nothing would fall back on
			// NOSCRIPT, and Forget is rare.
			boardRows = append(boardRows, s.forgetRow.Eval(ctx, p, []string{board, meta}, user.UserID))
		}
		for _, a := range answers {
			answerRows = append(answerRows, p.HDel(ctx, a, user.UserID))
		}
		for _, idx := range threadIndexes {
			p.SRem(ctx, idx, user.UserID)
		}
		anon = p.SRem(ctx, s.keys.anonymous(ws), user.UserID)
		optout = p.SRem(ctx, s.keys.dailyOptOut(ws), user.UserID)
		return nil
	})
	if err != nil {
		return fail(err)
	}
	for _, c := range boardRows {
		v, _ := c.Int()
		n[bot.ForgotBoardRows] += v
	}
	for _, c := range answerRows {
		n[bot.ForgotDailyAnswers] += int(c.Val())
	}
	n[bot.ForgotOther] += int(anon.Val() + optout.Val())

	// Export rows: fields <user>:<session> of the workspace's month hashes.
	for _, k := range metas {
		if !strings.Contains(k, ":export:") {
			continue
		}
		var fields []string
		it := s.rdb.HScan(ctx, k, 0, globEscaper.Replace(esc(user.UserID)+":")+"*", 500).Iterator()
		for it.Next(ctx) {
			fields = append(fields, it.Val())
			it.Next(ctx) // skip the value
		}
		if err := it.Err(); err != nil {
			return fail(err)
		}
		if len(fields) > 0 {
			removed, err := s.rdb.HDel(ctx, k, fields...).Result()
			if err != nil {
				return fail(err)
			}
			n[bot.ForgotExportRows] += int(removed)
		}
	}

	// Idle checks and saved replies: members of the two due sets that name
	// the user.
	member := esc(string(user.Platform)) + ":" + esc(user.Workspace) + ":" + esc(user.UserID) + ":"
	for _, set := range []string{s.keys.nudges(), s.keys.outboxes()} {
		it := s.rdb.ZScan(ctx, set, 0, globEscaper.Replace(member)+"*", 500).Iterator()
		var due []any
		for it.Next(ctx) {
			due = append(due, it.Val())
			it.Next(ctx) // skip the score
		}
		if err := it.Err(); err != nil {
			return fail(err)
		}
		if len(due) > 0 {
			removed, err := s.rdb.ZRem(ctx, set, due...).Result()
			if err != nil {
				return fail(err)
			}
			n[bot.ForgotOther] += int(removed)
		}
	}
	// Last, the user's own keys, so a run cut short can find them again.
	if len(own) > 0 {
		if _, err := s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
			for _, k := range own {
				p.Del(ctx, k)
			}
			return nil
		}); err != nil && !errors.Is(err, goredis.Nil) {
			return fail(err)
		}
	}
	return n, nil
}
