package redis

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mlsdbot/mlsd/bot"
)

// TestSavePaths walks every outcome of save.lua: applied, duplicate,
// stale version, not active, and the create-side conflicts.
func TestSavePaths(t *testing.T) {
	ctx := context.Background()
	u := testUser("U1")

	// setup builds a session at version 3 (two answers applied: m1, m2) and
	// returns it.
	setup := func(t *testing.T, s *Store) bot.Session {
		ses := newSession(u, "S1")
		mustSave(t, s, bot.Change{Session: ses, TTL: time.Hour, MessageID: "m0"})
		ch := next(ses, func(x *bot.Session) { x.Answers[bot.Clarify].Text = "users, latency" })
		ch.MessageID = "m1"
		ses = mustSave(t, s, ch)
		ch = next(ses, func(x *bot.Session) { x.Step = bot.Frame })
		ch.MessageID = "m2"
		return mustSave(t, s, ch)
	}
	finish := func(ses bot.Session) bot.Change {
		ch := next(ses, func(x *bot.Session) { x.Status = bot.Completed; x.Step = bot.WrapUp })
		ch.MessageID = "m-final"
		return ch
	}

	tests := []struct {
		name string
		// change returns the change under test given the stored session.
		change func(t *testing.T, s *Store, ses bot.Session) bot.Change
		want   error // nil: applied
		// stored is the version ActiveSession must report afterwards (0: no active session).
		stored int64
	}{
		{
			name:   "applied",
			change: func(_ *testing.T, _ *Store, ses bot.Session) bot.Change { return withMsg(next(ses, nil), "m3") },
			stored: 4,
		},
		{
			name:   "applied without message id",
			change: func(_ *testing.T, _ *Store, ses bot.Session) bot.Change { return next(ses, nil) },
			stored: 4,
		},
		{
			name:   "duplicate message id",
			change: func(_ *testing.T, _ *Store, ses bot.Session) bot.Change { return withMsg(next(ses, nil), "m2") },
			want:   bot.ErrDuplicate,
			stored: 3,
		},
		{
			// a replay computed from an older load: the duplicate wins over the stale version
			name: "duplicate with stale version",
			change: func(_ *testing.T, _ *Store, ses bot.Session) bot.Change {
				ses.Version = 1
				return withMsg(next(ses, nil), "m1")
			},
			want:   bot.ErrDuplicate,
			stored: 3,
		},
		{
			name: "stale version",
			change: func(_ *testing.T, _ *Store, ses bot.Session) bot.Change {
				ses.Version = 2
				return withMsg(next(ses, nil), "m3")
			},
			want:   bot.ErrConflict,
			stored: 3,
		},
		{
			name: "version from the future",
			change: func(_ *testing.T, _ *Store, ses bot.Session) bot.Change {
				ses.Version = 7
				return withMsg(next(ses, nil), "m3")
			},
			want:   bot.ErrConflict,
			stored: 3,
		},
		{
			name: "not active after completion",
			change: func(t *testing.T, s *Store, ses bot.Session) bot.Change {
				done := mustSave(t, s, finish(ses))
				return withMsg(next(done, nil), "m9")
			},
			want: bot.ErrNotActive,
		},
		{
			// the contract's precedence: not active wins over duplicate
			name: "replay after completion",
			change: func(t *testing.T, s *Store, ses bot.Session) bot.Change {
				mustSave(t, s, finish(ses))
				return withMsg(next(ses, nil), "m-final")
			},
			want: bot.ErrNotActive,
		},
		{
			name: "not active after abandon",
			change: func(t *testing.T, s *Store, ses bot.Session) bot.Change {
				done := mustSave(t, s, next(ses, func(x *bot.Session) { x.Status = bot.Abandoned }))
				return withMsg(next(done, nil), "m9")
			},
			want: bot.ErrNotActive,
		},
		{
			name: "not active: unknown session",
			change: func(_ *testing.T, _ *Store, ses bot.Session) bot.Change {
				other := newSession(u, "S-unknown")
				return withMsg(next(other, nil), "m9")
			},
			want:   bot.ErrNotActive,
			stored: 3,
		},
		{
			name: "create while another session is active",
			change: func(_ *testing.T, _ *Store, _ bot.Session) bot.Change {
				return bot.Change{Session: newSession(u, "S2"), TTL: time.Hour}
			},
			want:   bot.ErrConflict,
			stored: 3,
		},
		{
			name: "create reusing a finished session id",
			change: func(t *testing.T, s *Store, ses bot.Session) bot.Change {
				mustSave(t, s, finish(ses))
				return bot.Change{Session: newSession(u, "S1"), TTL: time.Hour}
			},
			want: bot.ErrConflict,
		},
		{
			name: "create after completion",
			change: func(t *testing.T, s *Store, ses bot.Session) bot.Change {
				mustSave(t, s, finish(ses))
				return bot.Change{Session: newSession(u, "S2"), TTL: time.Hour, MessageID: "m9"}
			},
			stored: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestStore(t, Options{})
			ses := setup(t, s)
			ch := tt.change(t, s, ses)
			err := s.Save(ctx, ch)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Save = %v, want %v", err, tt.want)
			}
			got, err := s.ActiveSession(ctx, u)
			switch {
			case tt.stored == 0 && !errors.Is(err, bot.ErrNotFound):
				t.Fatalf("ActiveSession = %+v, %v; want ErrNotFound", got.ID, err)
			case tt.stored != 0 && err != nil:
				t.Fatalf("ActiveSession: %v", err)
			case tt.stored != 0 && got.Version != tt.stored:
				t.Fatalf("ActiveSession version = %d, want %d", got.Version, tt.stored)
			}
			if tt.want == nil && tt.stored != 0 {
				if diff := cmp.Diff(ch.Session, got); diff != "" {
					t.Errorf("stored session differs from the saved one (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func withMsg(ch bot.Change, id string) bot.Change { ch.MessageID = id; return ch }

// TestSaveRejectsMalformedChanges: programming errors are reported, never
// written, and are not mistaken for store conditions.
func TestSaveRejectsMalformedChanges(t *testing.T) {
	s, _ := newTestStore(t, Options{})
	u := testUser("U1")
	ses := newSession(u, "S1")
	noID := ses
	noID.ID = ""
	noOwner := ses
	noOwner.User = bot.UserKey{}
	badVersion := ses
	badVersion.Version = 3
	for name, ch := range map[string]bot.Change{
		"no id":         {Session: noID},
		"no owner":      {Session: noOwner},
		"version skips": {Session: badVersion},
		"bad week": {Session: ses, Completion: &bot.Completion{
			SessionID: "S1", Week: "2026-48", Month: "2026-11", Day: "2026-11-25", At: t0}},
		"week 53 of a 52-week year": {Session: ses, Completion: &bot.Completion{
			SessionID: "S1", Week: "2027-W53", Month: "2026-11", Day: "2026-11-25", At: t0}},
	} {
		err := s.Save(context.Background(), ch)
		if err == nil {
			t.Errorf("%s: Save = nil, want an error", name)
			continue
		}
		for _, sentinel := range []error{bot.ErrConflict, bot.ErrDuplicate, bot.ErrNotActive, bot.ErrUnavailable} {
			if errors.Is(err, sentinel) {
				t.Errorf("%s: Save = %v, must not be %v", name, err, sentinel)
			}
		}
	}
	if _, err := s.ActiveSession(context.Background(), u); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("a rejected change was written: ActiveSession err = %v", err)
	}
}

// TestSaveRetryOfOwnChange: when go-redis resends a script whose reply was
// lost, the script finds its own token and reports success, not a false
// duplicate or conflict.
func TestSaveRetryOfOwnChange(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t, Options{})
	u := testUser("U1")
	ses := newSession(u, "S1")
	run := func(ch bot.Change, token string) int64 {
		t.Helper()
		keys := []string{s.keys.active(u), s.keys.session(u, ch.Session.ID), s.keys.seen(u, ch.Session.ID), s.keys.outboxMark(u)}
		doc := mustJSON(t, ch.Session)
		reply, err := s.save.Run(ctx, s.rdb, keys, ch.Session.ID, ch.Expected, ch.Session.Version,
			string(ch.Session.Status), doc, ch.MessageID, int64(3600000), token, "0", "", "0", 0, "", "").Result()
		if err != nil {
			t.Fatalf("save.lua: %v", err)
		}
		code, _, err := parseSaveReply(reply)
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	create := bot.Change{Session: ses, TTL: time.Hour}
	if got := run(create, "tok-a"); got != saveApplied {
		t.Fatalf("create = %d, want applied", got)
	}
	if got := run(create, "tok-a"); got != saveApplied {
		t.Errorf("resent create = %d, want applied (own token)", got)
	}
	if got := run(create, "tok-b"); got != saveHasActive {
		t.Errorf("another create = %d, want %d (user already active)", got, saveHasActive)
	}
	upd := withMsg(next(ses, nil), "m1")
	if got := run(upd, "tok-c"); got != saveApplied {
		t.Fatalf("update = %d, want applied", got)
	}
	if got := run(upd, "tok-c"); got != saveApplied {
		t.Errorf("resent update = %d, want applied (own token)", got)
	}
	if got := run(upd, "tok-d"); got != saveDuplicate {
		t.Errorf("replayed update = %d, want duplicate", got)
	}
	fin := withMsg(next(upd.Session, func(x *bot.Session) { x.Status = bot.Completed }), "m2")
	if got := run(fin, "tok-e"); got != saveApplied {
		t.Fatalf("finish = %d, want applied", got)
	}
	if got := run(fin, "tok-e"); got != saveApplied {
		t.Errorf("resent finish = %d, want applied (own token on the finished session)", got)
	}
	got, err := s.Session(ctx, u, "S1")
	if err != nil || got.Version != 3 || got.Status != bot.Completed {
		t.Errorf("Session = v%d %s, %v; want v3 completed", got.Version, got.Status, err)
	}
}

// TestSessionLookup: Session finds active and finished sessions by id.
func TestSessionLookup(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t, Options{})
	u := testUser("U1")
	ses := mustSave(t, s, bot.Change{Session: newSession(u, "S1"), TTL: time.Hour})
	if got, err := s.Session(ctx, u, "S1"); err != nil || got.Version != 1 {
		t.Fatalf("Session(active) = v%d, %v", got.Version, err)
	}
	done := mustSave(t, s, next(ses, func(x *bot.Session) { x.Status = bot.Completed }))
	if got, err := s.Session(ctx, u, "S1"); err != nil || !cmp.Equal(got, done) {
		t.Fatalf("Session(finished) = %+v, %v; want %+v", got, err, done)
	}
	if _, err := s.Session(ctx, u, "nope"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Session(unknown) err = %v, want ErrNotFound", err)
	}
	if _, err := s.Session(ctx, testUser("U2"), "S1"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("Session(another user's id) err = %v, want ErrNotFound", err)
	}
	if _, err := s.ActiveSession(ctx, u); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("ActiveSession after completion err = %v, want ErrNotFound", err)
	}
}

// TestThreadBinding: a thread set on a session routes to it; a failed
// create never steals a thread bound to a live session.
func TestThreadBinding(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t, Options{})
	ada, bob := testUser("U1"), testUser("U2")
	ref := bot.ThreadRef{Platform: bot.Slack, Workspace: "T1", Channel: "C1", Thread: "1700000000.000100"}
	if _, err := s.Thread(ctx, ref); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("Thread before binding err = %v, want ErrNotFound", err)
	}
	ses := mustSave(t, s, bot.Change{Session: newSession(ada, "S1"), TTL: time.Hour})
	ses = mustSave(t, s, next(ses, func(x *bot.Session) { x.Thread = ref.Thread }))
	want := bot.ThreadBinding{User: ada, UserName: ses.UserName, SessionID: "S1"}
	if got, err := s.Thread(ctx, ref); err != nil || got != want {
		t.Fatalf("Thread = %+v, %v; want %+v", got, err, want)
	}
	// Ada tries to start a second interview in the same thread: conflict,
	// and the thread still routes to S1.
	second := newSession(ada, "S2")
	second.Thread = ref.Thread
	if err := s.Save(ctx, bot.Change{Session: second, TTL: time.Hour}); !errors.Is(err, bot.ErrConflict) {
		t.Fatalf("second create = %v, want ErrConflict", err)
	}
	if got, err := s.Thread(ctx, ref); err != nil || got != want {
		t.Fatalf("Thread after failed create = %+v, %v; want %+v", got, err, want)
	}
	// Bob's interview started inside its own thread is bound at creation.
	bobRef := ref
	bobRef.Thread = "1700000000.000200"
	bs := newSession(bob, "S3")
	bs.Thread = bobRef.Thread
	mustSave(t, s, bot.Change{Session: bs, TTL: time.Hour})
	if got, err := s.Thread(ctx, bobRef); err != nil || got.User != bob || got.SessionID != "S3" {
		t.Fatalf("Thread(bob) = %+v, %v", got, err)
	}
}

// TestNoScriptFallback: after SCRIPT FLUSH (a failover to a fresh replica)
// both the plain and the pipelined script paths resend with EVAL.
func TestNoScriptFallback(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t, Options{})
	u := testUser("U1")
	ses := newSession(u, "S1")
	ses.Thread = "th1"
	ses = mustSave(t, s, bot.Change{Session: ses, TTL: time.Hour})
	ses = mustSave(t, s, withMsg(next(ses, nil), "m1"))
	if err := s.rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatalf("SCRIPT FLUSH: %v", err)
	}
	ses = mustSave(t, s, withMsg(next(ses, nil), "m2")) // pipelined (thread) path
	if err := s.rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatalf("SCRIPT FLUSH: %v", err)
	}
	ses.Thread = ""
	mustSave(t, s, withMsg(next(ses, nil), "m3")) // Script.Run path
	if got, err := s.ActiveSession(ctx, u); err != nil || got.Version != 4 {
		t.Fatalf("ActiveSession = v%d, %v; want v4", got.Version, err)
	}
}

// TestFirstDelivery: SET NX EX — the first call wins within the ttl.
func TestFirstDelivery(t *testing.T) {
	ctx := context.Background()
	s, mini := newTestStore(t, Options{})
	for i, want := range []bool{true, false, false} {
		got, err := s.FirstDelivery(ctx, "slack:Ev123", 5*time.Minute)
		if err != nil || got != want {
			t.Fatalf("call %d: FirstDelivery = %v, %v; want %v", i+1, got, err, want)
		}
	}
	if got, _ := s.FirstDelivery(ctx, "discord:123", 5*time.Minute); !got {
		t.Errorf("another id: FirstDelivery = false, want true")
	}
	ttl, err := s.rdb.TTL(ctx, s.keys.event("slack:Ev123")).Result()
	if err != nil || ttl <= 4*time.Minute || ttl > 5*time.Minute {
		t.Errorf("dedupe key TTL = %v, %v; want about 5m", ttl, err)
	}
	if mini != nil {
		mini.FastForward(5*time.Minute + time.Second)
		if got, _ := s.FirstDelivery(ctx, "slack:Ev123", 5*time.Minute); !got {
			t.Errorf("after the ttl: FirstDelivery = false, want true")
		}
	}
}

// TestTextsOutOfTheDocument: answer texts are hash fields of their own and
// a save with Previous sends only the ones that changed; a session stored
// before that (texts inside its document, no "tx") is read as it was, and
// its first such save is turned down by save.lua and resent with every
// text, once.
func TestTextsOutOfTheDocument(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestStore(t, Options{})
	rec := &scriptRecorder{}
	s.rdb.AddHook(rec)
	u := testUser("U1")
	mustSave(t, s, bot.Change{Session: newSession(testUser("U2"), "S2"), TTL: time.Hour}) // loads the script
	legacy := newSession(u, "S1")
	legacy.Answers[bot.Clarify].Text = "who are the users, and how many"
	legacy.Wrap[0].Text = "the feature store"
	if err := s.rdb.HSet(ctx, s.keys.active(u), "sid", legacy.ID, "v", legacy.Version, "tok", "old", "doc", mustJSON(t, legacy)).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := s.ActiveSession(ctx, u)
	if err != nil || !cmp.Equal(got, legacy) {
		t.Fatalf("ActiveSession(stored the old way) = %+v, %v; want %+v", got, err, legacy)
	}

	ch := next(got, func(x *bot.Session) { x.Answers[bot.Frame].Text = "a ranking problem" })
	ch.Previous = &got
	before := rec.trips()
	if err := s.Save(ctx, ch); err != nil {
		t.Fatalf("Save(changed texts only, onto the old way) = %v", err)
	}
	if n := rec.trips() - before; n != 2 {
		t.Errorf("first save onto the old way took %d round trips, want 2 (turned down, resent whole)", n)
	}
	if got, err := s.ActiveSession(ctx, u); err != nil || !cmp.Equal(got, ch.Session) {
		t.Fatalf("after the first save = %+v, %v; want %+v", got, err, ch.Session)
	}

	ch2 := next(ch.Session, func(x *bot.Session) { x.Answers[bot.Frame].Text += ", two-stage" })
	ch2.Previous = &ch.Session
	before = rec.trips()
	if err := s.Save(ctx, ch2); err != nil {
		t.Fatal(err)
	}
	if n := rec.trips() - before; n != 1 {
		t.Errorf("a later save took %d round trips, want 1", n)
	}
	fields, err := s.rdb.HGetAll(ctx, s.keys.active(u)).Result()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(fields["doc"], "who are the users") || fields["a1"] != legacy.Answers[bot.Clarify].Text || fields["a2"] != ch2.Session.Answers[bot.Frame].Text || fields["w0"] != legacy.Wrap[0].Text {
		t.Errorf("stored fields = %q, want the texts out of the document, each in its field", fields)
	}
	if got, err := s.ActiveSession(ctx, u); err != nil || !cmp.Equal(got, ch2.Session) {
		t.Fatalf("after a texts-only save = %+v, %v; want %+v", got, err, ch2.Session)
	}
}
