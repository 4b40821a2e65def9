package redis

import (
	"strings"

	"github.com/mlsdbot/mlsd/bot"
)

// Key schema (P is Options.Prefix, default "mlsd:v1"). Braces are Redis
// Cluster hash tags: every key one script touches carries the same tag so
// it lands in one slot.
//
// Per user, tag {platform:workspace:user}:
//
//	P:iv:{…}:active                   HASH sid, v, tok, doc — the active session (JSON in doc); absent when none
//	P:iv:{…}:s:<sid>                  HASH v, tok, doc — a finished (completed/abandoned) session
//	P:iv:{…}:s:<sid>:seen             SET applied message ids (+ a completion marker)
//	P:iv:{…}:thr:<pl>:<ws>:<ch>:<th>  STRING ThreadBinding JSON — the authority on a thread
//	P:iv:{…}:stats                    HASH all-time totals, step totals, best/last score, streaks
//	P:iv:{…}:recent                   LIST recent scenario ids, newest first
//	P:iv:{…}:scores                   LIST recent interview scores (JSON bot.ScorePoint), newest first
//	P:iv:{…}:w:<2026-W48>             HASH pts, n, at — the user's total for an ISO week
//	P:iv:{…}:m:<2026-11>              HASH pts, n, at — the user's total for a month
//	P:iv:{…}:cov                      HASH h:<key> latest outcomes, n:<key> chances,
//	                                  l:<key> step, weight, label — concept coverage
//	P:iv:{…}:hist                     LIST history entries (JSON), newest first
//
// A session's keys (active or s:<sid>, seen, its thread binding) get the
// same idle TTL from every change, so they expire together; stats have
// none; period totals expire with their leaderboard.
//
// Per workspace, tag {platform:workspace}:
//
//	P:thr:{…}:<channel>:<thread>            SET user ids that bound the thread: an index
//	                                        only (Thread reads it, then the user's
//	                                        binding); TTL ≥ the bindings'
//	P:lb:{…}:all | :w:<week> | :m:<month>   ZSET score = points, member = <inverted ms>:<user>
//	P:lb:{…}:<period>:meta                  HASH n:<user>, m:<user> (current member), name:<user>
//	P:lb:{…}:team                           HASH n, w:<week>, m:<month>, st1..st7, l:<concept>
//	P:lb:{…}:team:miss                      ZSET concept key → times missed
//	P:lb:{…}:team:scen                      ZSET scenario id → completions
//	P:lb:{…}:team:applied:<month>           SET session ids counted (expires with the month)
//
// Ingress dedupe: P:evt:<id> STRING, SET NX EX (one key, no tag needed).
//
// AI judge: P:judge:v:<sha256> STRING verdict JSON, SET EX (one key);
// P:judge:t:{platform:workspace}:<day> STRING tokens spent, INCRBY + EXPIRE NX.
//
// Identifiers are escaped (%, :, {, }) so that one user's keys can never
// collide with another's or open a second hash tag.
type keys struct{ prefix string }

var escaper = strings.NewReplacer("%", "%25", ":", "%3A", "{", "%7B", "}", "%7D")

func esc(s string) string { return escaper.Replace(s) }

// user is the start of every per-user key, ending in its hash tag.
func (k keys) user(u bot.UserKey) string {
	return k.prefix + ":iv:{" + esc(string(u.Platform)) + ":" + esc(u.Workspace) + ":" + esc(u.UserID) + "}"
}

func (k keys) active(u bot.UserKey) string { return k.user(u) + ":active" }

func (k keys) session(u bot.UserKey, sid string) string { return k.user(u) + ":s:" + esc(sid) }

func (k keys) seen(u bot.UserKey, sid string) string { return k.session(u, sid) + ":seen" }

func (k keys) stats(u bot.UserKey) string { return k.user(u) + ":stats" }

func (k keys) recent(u bot.UserKey) string { return k.user(u) + ":recent" }

func (k keys) coverage(u bot.UserKey) string { return k.user(u) + ":cov" }

func (k keys) history(u bot.UserKey) string { return k.user(u) + ":hist" }

func (k keys) scores(u bot.UserKey) string { return k.user(u) + ":scores" }

// userPeriod holds the user's total for a week or month period.
func (k keys) userPeriod(u bot.UserKey, p bot.Period) string { return k.user(u) + ":" + string(p) }

func (k keys) team(ws bot.Workspace) string {
	return k.prefix + ":lb:{" + esc(string(ws.Platform)) + ":" + esc(ws.ID) + "}"
}

func (k keys) board(ws bot.Workspace, p bot.Period) string { return k.team(ws) + ":" + string(p) }

func (k keys) boardMeta(ws bot.Workspace, p bot.Period) string { return k.board(ws, p) + ":meta" }

// teamKeys are the workspace aggregate's keys in team.lua's order.
func (k keys) teamKeys(ws bot.Workspace, month string) []string {
	t := k.teamHash(ws)
	return []string{t, t + ":miss", t + ":scen", t + ":applied:" + esc(month), k.export(ws, month)}
}

// teamHash is the workspace aggregate's counts and step-score sums.
func (k keys) teamHash(ws bot.Workspace) string { return k.team(ws) + ":team" }

// export is a workspace's month of export rows: HASH <user>:<session> → row JSON.
func (k keys) export(ws bot.Workspace, month string) string {
	return k.team(ws) + ":export:" + esc(month)
}

// exportField names one row; forget finds a person's rows by its prefix.
func exportField(user, session string) string { return esc(user) + ":" + esc(session) }

// binding is the user-slot record that a thread hosts one of the user's
// sessions. Every ThreadRef field is part of the name.
func (k keys) binding(u bot.UserKey, r bot.ThreadRef) string {
	return k.user(u) + ":thr:" + esc(string(r.Platform)) + ":" + esc(r.Workspace) + ":" + esc(r.Channel) + ":" + esc(r.Thread)
}

// threadIndex lists the users that bound a thread.
func (k keys) threadIndex(r bot.ThreadRef) string {
	return k.prefix + ":thr:{" + esc(string(r.Platform)) + ":" + esc(r.Workspace) + "}:" + esc(r.Channel) + ":" + esc(r.Thread)
}

func (k keys) event(id string) string { return k.prefix + ":evt:" + esc(id) }

func (k keys) judgeVerdict(hash string) string { return k.prefix + ":judge:v:" + esc(hash) }

func (k keys) judgeTokens(ws bot.Workspace, day string) string {
	return k.prefix + ":judge:t:{" + esc(string(ws.Platform)) + ":" + esc(ws.ID) + "}:" + esc(day)
}
