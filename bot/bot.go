package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config holds every dependency of a Bot; nothing is read from the
// environment inside package bot.
type Config struct {
	Store   Store
	Library *Library
	// Now is the clock; tests inject a fixed or stepping one.
	Now func() time.Time
	// Intn returns a random int in [0, n); it picks random scenarios and ids.
	Intn func(n int) int
	Log  *slog.Logger
	// SessionTTL is how long an idle session's state is kept (default 7 days).
	SessionTTL time.Duration
	// DedupeTTL is how long a platform message id is remembered (default
	// 24h, well over Slack's 5-minute retry window).
	DedupeTTL time.Duration
	// Location is the zone used for leaderboard weeks and streak days
	// (default UTC), and the default zone of daily schedules.
	Location *time.Location

	// Daily keeps the daily challenge and idle-interview checks; nil turns
	// both off (`/mlsd daily` then says so). Calendar reads cron specs
	// (bot/schedule); the daily commands need both.
	Daily    DailyStore
	Calendar Calendar
	// DailyWake, when set, is called after `/mlsd daily now` so the
	// scheduler ticks at once instead of at its next period.
	DailyWake func()
	// NudgeAfter is the idle time before an interview gets one nudge
	// (default 24h); AbandonAfter the idle time before it is closed as
	// abandoned (default 72h).
	NudgeAfter   time.Duration
	AbandonAfter time.Duration

	// Progress keeps concept coverage and history (the store's own
	// methods); nil leaves /mlsd me at the numbers and turns off the
	// commands that need it.
	Progress ProgressStore

	// Export keeps the rows `/mlsd export` sends admins (the store's own
	// methods); nil turns the command off.
	Export ExportStore

	// AI, when set, has an AI judge read each answer besides the rubric;
	// nil (the default) grades by the rubric alone.
	AI *AIJudge

	// TeamAverages, when set, gives the report card the workspace's
	// average step scores (both stores offer it).
	TeamAverages TeamAverages

	// OutboxGrace is how old saved, unconfirmed replies must be before
	// RunOutbox delivers them (default DefaultOutboxGrace).
	OutboxGrace time.Duration

	// SessionMemo is how many users' active sessions the bot remembers
	// after saving them, so their next answer is applied without reading
	// the session back (default DefaultSessionMemo; negative: none).
	SessionMemo int
}

// Bot is the interviewer: it turns inbound messages into state changes and
// replies. It is safe for concurrent use; all state lives in the Store.
type Bot struct {
	cfg   Config
	zones *Zones
	memo  *sessionMemo
}

// New checks the configuration and fills in defaults.
func New(cfg Config) (*Bot, error) {
	if cfg.Store == nil {
		return nil, errors.New("bot: Config.Store is required")
	}
	if cfg.Library == nil || cfg.Library.Len() == 0 {
		return nil, errors.New("bot: Config.Library has no scenarios")
	}
	if cfg.Intn == nil {
		return nil, errors.New("bot: Config.Intn is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 7 * 24 * time.Hour
	}
	if cfg.DedupeTTL <= 0 {
		cfg.DedupeTTL = 24 * time.Hour
	}
	if cfg.AI != nil {
		if cfg.AI.Judge == nil || cfg.AI.Ledger == nil {
			return nil, errors.New("bot: Config.AI needs a Judge and a Ledger")
		}
		ai := *cfg.AI
		if ai.Timeout <= 0 {
			ai.Timeout = DefaultJudgeTimeout
		}
		cfg.AI = &ai
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.OutboxGrace <= 0 {
		cfg.OutboxGrace = DefaultOutboxGrace
	}
	if cfg.NudgeAfter <= 0 {
		cfg.NudgeAfter = DefaultNudgeAfter
	}
	if cfg.AbandonAfter <= 0 {
		cfg.AbandonAfter = DefaultAbandonAfter
	}
	if cfg.AbandonAfter <= cfg.NudgeAfter {
		return nil, fmt.Errorf("bot: AbandonAfter (%v) must be longer than NudgeAfter (%v)", cfg.AbandonAfter, cfg.NudgeAfter)
	}
	if cfg.SessionMemo == 0 {
		cfg.SessionMemo = DefaultSessionMemo
	}
	return &Bot{cfg: cfg, zones: NewZones(), memo: newSessionMemo(cfg.SessionMemo)}, nil
}

var _ Handler = (*Bot)(nil)

// Library returns the scenarios the bot runs.
func (b *Bot) Library() *Library { return b.cfg.Library }

// Friendly replies for failures the user can fix by trying again.
const (
	msgUnavailable = "⚠️ I couldn't save that — my storage is not answering. Please send it again in a moment."
	msgFull        = "⚠️ I can't save anything right now — my storage is full. Nothing was changed; please try again later."
	msgEmpty       = "That message was empty."
)

// maxConflictRetries bounds reload-and-retry when replicas race on one
// session; each retry means another writer made progress.
const maxConflictRetries = 200

// Handle processes one inbound message and returns the replies in order.
// User mistakes (unknown commands, empty answers, another user's buttons)
// come back as friendly replies with a nil error; a non-nil error means
// something failed inside, and the adapter shows a generic apology.
func (b *Bot) Handle(ctx context.Context, in Inbound) ([]Outbound, error) {
	log := b.cfg.Log.With("platform", in.Platform, "workspace", in.Workspace, "user", in.UserID, "message", in.MessageID)
	var (
		out []Outbound
		err error
	)
	switch {
	case in.Kind == KindCommand:
		out, err = b.onceOnly(ctx, in, func() ([]Outbound, error) { return b.command(ctx, log, in) })
	case in.Kind == KindAction && in.Text == DailyAnswerAction:
		out, err = b.onceOnly(ctx, in, func() ([]Outbound, error) { return b.dailyAnswerForm(ctx, in) })
	case in.Kind == KindAction && in.Text == DailyStartAction:
		out, err = b.onceOnly(ctx, in, func() ([]Outbound, error) {
			return b.start(ctx, log, in, Command{Name: CmdStart, Scenario: dailyQuery, Mode: Mock})
		})
	default:
		out, err = b.interaction(ctx, log, in)
	}
	if err != nil {
		return b.storeFailed(log, in, "handle", err)
	}
	return out, nil
}

// firstDelivery reports whether in is new. Answers that change a session
// skip it: Save's applied-message check already makes them exactly-once,
// which keeps the answer path at two store round trips.
func (b *Bot) firstDelivery(ctx context.Context, in Inbound) (bool, error) {
	if in.MessageID == "" {
		return true, nil
	}
	first, err := b.cfg.Store.FirstDelivery(ctx, dedupeKey(in), b.cfg.DedupeTTL)
	if err == nil && !first {
		b.cfg.Log.Debug("duplicate delivery dropped", "platform", in.Platform, "message", in.MessageID)
	}
	return first, err
}

// landed reports whether a change whose Save failed in transit was applied
// all the same: the stored session is exactly the one we sent.
func (b *Bot) landed(ctx context.Context, next *Session) bool {
	got, err := b.cfg.Store.Session(ctx, next.User, next.ID)
	return err == nil && got.Version == next.Version && got.Updated.Equal(next.Updated)
}

// onceOnly runs reply only on the first delivery of in. When reply fails
// the mark is removed again, so the platform's retry of in is handled
// rather than dropped as a duplicate.
func (b *Bot) onceOnly(ctx context.Context, in Inbound, reply func() ([]Outbound, error)) ([]Outbound, error) {
	return b.onceOnlyElse(ctx, in, nil, reply)
}

// onceOnlyElse is onceOnly that answers a repeat with repeat's replies
// (nil repeat: nothing).
func (b *Bot) onceOnlyElse(ctx context.Context, in Inbound, repeat func(context.Context, Inbound) []Outbound, reply func() ([]Outbound, error)) ([]Outbound, error) {
	first, err := b.firstDelivery(ctx, in)
	if err != nil {
		return nil, err
	}
	if !first {
		if repeat != nil {
			return repeat(ctx, in), nil
		}
		return nil, nil
	}
	out, err := reply()
	if err != nil && in.MessageID != "" {
		if ferr := b.cfg.Store.ForgetDelivery(context.WithoutCancel(ctx), dedupeKey(in)); ferr != nil {
			b.cfg.Log.Warn("a failed command stays marked as delivered; the platform's retry of it will be dropped",
				"platform", in.Platform, "message", in.MessageID, "err", ferr)
		}
	}
	return out, err
}

func dedupeKey(in Inbound) string {
	return string(in.Platform) + ":" + in.Workspace + ":" + in.MessageID
}

// storeFailed turns a store outage into the friendly retry message and
// passes any other error up (logged once, by the adapter).
func (b *Bot) storeFailed(log *slog.Logger, in Inbound, op string, err error) ([]Outbound, error) {
	if errors.Is(err, ErrStorageFull) {
		// The store logs the incident once with its cause (StorageHealth);
		// one line per refused message would flood the log.
		log.Debug("store full", "op", op, "err", err)
		return []Outbound{b.ephemeral(in, msgFull)}, nil
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		log.Warn("store unavailable", "op", op, "err", err)
		return []Outbound{b.ephemeral(in, msgUnavailable)}, nil
	}
	return nil, fmt.Errorf("%s: %w", op, err)
}

func (b *Bot) ephemeral(in Inbound, text string) Outbound {
	return Outbound{Where: Where{Kind: Ephemeral, Channel: in.Channel, Thread: in.Thread, User: in.UserID}, Text: text}
}

func (b *Bot) reply(in Inbound, text string) Outbound {
	return Outbound{Where: Where{Kind: InThread, Channel: in.Channel, Thread: in.Thread}, Text: text}
}

func (b *Bot) command(ctx context.Context, log *slog.Logger, in Inbound) ([]Outbound, error) {
	cmd := ParseCommand(in.Text)
	switch cmd.Name {
	case CmdStart:
		return b.start(ctx, log, in, cmd)
	case CmdScenarios:
		return []Outbound{b.ephemeral(in, ScenariosText(b.cfg.Library))}, nil
	case CmdLeaderboard:
		return b.leaderboard(ctx, in, cmd.Period)
	case CmdMe:
		return b.me(ctx, in)
	case CmdStatus:
		s, err := b.cfg.Store.ActiveSession(ctx, in.User())
		if errors.Is(err, ErrNotFound) {
			return []Outbound{b.ephemeral(in, "You have no interview running. Start one with `/mlsd start`.")}, nil
		}
		if err != nil {
			return nil, err
		}
		sc, _ := b.cfg.Library.Get(s.ScenarioID)
		return []Outbound{b.ephemeral(in, StatusText(&s, sc))}, nil
	case CmdHelp:
		return []Outbound{b.ephemeral(in, HelpText+b.helpFooter())}, nil
	case CmdDaily:
		return b.daily(ctx, log, in, cmd)
	case CmdHistory:
		return b.history(ctx, in)
	case CmdReport:
		return b.report(ctx, in, cmd.N)
	case CmdTeam:
		return b.team(ctx, in)
	case CmdOptOut, CmdOptIn:
		return b.optOut(ctx, in, cmd.Name == CmdOptOut)
	case CmdForget:
		return b.forget(ctx, in, len(cmd.Args) == 1)
	case CmdDrill:
		return b.drill(ctx, log, in, cmd)
	case CmdExport:
		return b.export(ctx, in, cmd)
	case CmdDiagram:
		return b.diagramCommand(ctx, in, cmd.Scenario)
	}
	return []Outbound{b.ephemeral(in, cmd.Problem+"\n\n"+HelpText+b.helpFooter())}, nil
}

func (b *Bot) start(ctx context.Context, log *slog.Logger, in Inbound, cmd Command) ([]Outbound, error) {
	if s, err := b.cfg.Store.ActiveSession(ctx, in.User()); err == nil {
		return []Outbound{b.ephemeral(in, alreadyRunning(&s, b.cfg.Library))}, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	var (
		sc      *Scenario
		problem string
		err     error
	)
	if cmd.Scenario == dailyQuery {
		sc, problem, err = b.dailyScenario(ctx, in)
	} else {
		sc, problem, err = b.pickScenario(ctx, in.User(), cmd.Scenario)
	}
	if err != nil {
		return nil, err
	}
	if sc == nil {
		return []Outbound{b.ephemeral(in, problem)}, nil
	}
	now := b.cfg.Now()
	s := Session{
		ID:         b.newID(now),
		Version:    1,
		User:       in.User(),
		UserName:   in.UserName,
		Channel:    in.Channel,
		ScenarioID: sc.ID,
		Mode:       cmd.Mode,
		Status:     Active,
		Step:       Clarify,
		Started:    now,
		Updated:    now,
	}
	if s.Mode == "" {
		s.Mode = Mock
	}
	if out, err := b.create(ctx, in, &s); out != nil || err != nil {
		return out, err
	}
	log.Info("interview started", "session", s.ID, "scenario", sc.ID, "mode", s.Mode)
	b.trackIdle(ctx, log, &s)
	intro := Outbound{
		Where:   Where{Kind: NewThread, Channel: in.Channel},
		Text:    PromptMessage(sc),
		Session: s.ID,
	}
	first := currentQuestion(&s, sc)
	first.Text = introNote(&s) + "\n\n" + first.Text
	first.Where = Where{Kind: InThread, Channel: in.Channel}
	first.Session = s.ID
	return []Outbound{intro, first}, nil
}

// create saves a new session; when the user already has one running it
// returns the note that says so instead.
func (b *Bot) create(ctx context.Context, in Inbound, s *Session) ([]Outbound, error) {
	err := b.cfg.Store.Save(ctx, Change{Session: *s, Expected: 0, MessageID: in.MessageID, TTL: b.cfg.SessionTTL})
	if err == nil {
		b.memo.saved(*s)
	}
	if errors.Is(err, ErrConflict) {
		active, lerr := b.cfg.Store.ActiveSession(ctx, in.User())
		if lerr != nil {
			return nil, lerr
		}
		return []Outbound{b.ephemeral(in, alreadyRunning(&active, b.cfg.Library))}, nil
	}
	return nil, err
}

// introNote opens the thread: who is interviewing and how to answer.
func introNote(s *Session) string {
	return fmt.Sprintf("_Candidate: %s · %s mode. Answer each step in this thread; type `hint`, `next`, `skip`, `repeat`, `status` or `end` at any time._",
		clip(nameOr(s.UserName, s.User.UserID), 40), s.Mode)
}

func nameOr(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

func alreadyRunning(s *Session, l *Library) string {
	title := s.ScenarioID
	if sc, ok := l.Get(s.ScenarioID); ok {
		title = sc.Title
	}
	return fmt.Sprintf("You already have an interview running: **%s**, %s. Continue it in its thread, or type `end` there to stop it (`/mlsd status` shows where you are).", title, stepHeadingPlain(s))
}

// pickScenario resolves the start argument; a nil scenario comes with a
// message for the user.
func (b *Bot) pickScenario(ctx context.Context, user UserKey, query string) (*Scenario, string, error) {
	if query == "" || query == "random" {
		st, err := b.cfg.Store.Stats(ctx, user)
		if err != nil {
			return nil, "", err
		}
		return b.randomScenario(st.Recent), "", nil
	}
	sc, candidates := b.cfg.Library.Resolve(query)
	if sc != nil {
		return sc, "", nil
	}
	msg := fmt.Sprintf("I don't have a scenario %s.", code(clip(query, 40)))
	if len(candidates) > 0 {
		quoted := make([]string, len(candidates))
		for i, c := range candidates {
			quoted[i] = "`" + c + "`"
		}
		msg += " Did you mean " + strings.Join(quoted, ", ") + "?"
	}
	return nil, msg + " `/mlsd scenarios` lists them all.", nil
}

// randomScenario prefers scenarios the user has not done recently: it
// picks among those absent from recent, else the least recently done.
func (b *Bot) randomScenario(recent []string) *Scenario {
	all := b.cfg.Library.All()
	seen := make(map[string]int, len(recent))
	for i, id := range recent {
		if _, ok := seen[id]; !ok {
			seen[id] = i
		}
	}
	var fresh []*Scenario
	for _, sc := range all {
		if _, ok := seen[sc.ID]; !ok {
			fresh = append(fresh, sc)
		}
	}
	if len(fresh) > 0 {
		return fresh[b.cfg.Intn(len(fresh))]
	}
	oldest := all[0]
	for _, sc := range all {
		if seen[sc.ID] > seen[oldest.ID] {
			oldest = sc
		}
	}
	return oldest
}

func (b *Bot) newID(now time.Time) string {
	const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
	var suffix [6]byte
	for i := range suffix {
		suffix[i] = alphabet[b.cfg.Intn(len(alphabet))]
	}
	return strconv.FormatInt(now.UnixMilli(), 36) + string(suffix[:])
}

func (b *Bot) leaderboard(ctx context.Context, in Inbound, period string) ([]Outbound, error) {
	ws := Workspace{Platform: in.Platform, ID: in.Workspace}
	now := b.cfg.Now().In(b.cfg.Location)
	type pick struct {
		title  string
		period Period
	}
	var picks []pick
	if period == "" || period == "week" {
		picks = append(picks, pick{"This week", WeekPeriod(ISOWeek(now))})
	}
	if period == "month" {
		picks = append(picks, pick{"This month", MonthPeriod(now.Format("2006-01"))})
	}
	if period == "" || period == "all" {
		picks = append(picks, pick{"All time", AllTime})
	}
	boards := make([]Board, len(picks))
	ptrs := make([]*Board, len(picks))
	for i, p := range picks {
		board, err := b.cfg.Store.Leaderboard(ctx, ws, p.period, 10, in.UserID)
		if err != nil {
			return nil, err
		}
		boards[i], ptrs[i] = board, &boards[i]
	}
	if err := b.anonymize(ctx, ws, ptrs...); err != nil {
		return nil, err
	}
	var parts []string
	for i, p := range picks {
		parts = append(parts, BoardText(p.title, boards[i]))
	}
	streaks, err := b.StreaksText(ctx, ws, in.UserID, boards...)
	if err != nil {
		return nil, err
	}
	if streaks != "" {
		parts = append(parts, streaks)
	}
	return []Outbound{b.ephemeral(in, strings.Join(parts, "\n\n"))}, nil
}

// Home is what a user's home view (the Slack Home tab) shows.
type Home struct {
	Text    string
	Week    Board
	AllTime Board
	Stats   Stats
	// With progress kept (Config.Progress): the concepts the viewer
	// misses most and their plan, their recent sessions, and the team's
	// aggregate, each in the Markdown subset ("" without it).
	Progress, History, Team string
	// Drill is the step a drill would practise (the weakest), 0 before
	// any completed interview or without progress kept.
	Drill StepID
}

// homeHistory is how many recent sessions the home view lists.
const homeHistory = 5

// Home builds the user's home view: the workspace leaderboards and their
// own stats.
func (b *Bot) Home(ctx context.Context, user UserKey) (Home, error) {
	ws := Workspace{Platform: user.Platform, ID: user.Workspace}
	var h Home
	var err error
	if h.Week, err = b.cfg.Store.Leaderboard(ctx, ws, WeekPeriod(ISOWeek(b.cfg.Now().In(b.cfg.Location))), 10, user.UserID); err != nil {
		return h, err
	}
	if h.AllTime, err = b.cfg.Store.Leaderboard(ctx, ws, AllTime, 10, user.UserID); err != nil {
		return h, err
	}
	if h.Stats, err = b.cfg.Store.Stats(ctx, user); err != nil {
		return h, err
	}
	if err := b.anonymize(ctx, ws, &h.Week, &h.AllTime); err != nil {
		return h, err
	}
	h.Text = BoardText("This week", h.Week) + "\n\n" + BoardText("All time", h.AllTime) + "\n\n" + MeText(h.Stats)
	if b.cfg.Progress == nil {
		return h, nil
	}
	p, err := b.cfg.Progress.Progress(ctx, user)
	if err != nil {
		return h, err
	}
	now := b.cfg.Now().In(b.cfg.Location)
	ts, err := b.cfg.Progress.Team(ctx, ws, ISOWeek(now), now.Format("2006-01"), teamMissedShown)
	if err != nil {
		return h, err
	}
	h.Progress = ProgressText(h.Stats, p)
	if h.Stats.Sessions > 0 {
		h.Drill, _ = weakestStep(h.Stats)
	}
	h.History = HistoryText(p.History[:min(len(p.History), homeHistory)], Inbound{Platform: user.Platform, Workspace: user.Workspace}, b.cfg.Location)
	h.Team = TeamText(ts, b.cfg.Library)
	for _, part := range []string{h.Progress, h.History, h.Team} {
		if part != "" {
			h.Text += "\n\n" + part
		}
	}
	return h, nil
}

// interaction handles replies, button clicks and form submissions.
func (b *Bot) interaction(ctx context.Context, log *slog.Logger, in Inbound) ([]Outbound, error) {
	var (
		input    Input
		buttonAt string // the question a clicked button was shown under
	)
	switch in.Kind {
	case KindAction:
		if w, at, ok := ParseAction(in.Text); ok {
			input.Word, buttonAt = w, at
		}
	case KindReply:
		if w, ok := ParseWord(in.Text); ok {
			input.Word = w
		}
	}
	if input.Word == "" {
		input.Text = in.Text
	}
	// A diagram in the answer is drawn back, and its labels are graded
	// as words.
	wb, hasWhiteboard := Whiteboard{}, false
	if input.Word == "" {
		if wb, hasWhiteboard = FindWhiteboard(input.Text); hasWhiteboard {
			input.Text = wb.Text
		}
	}
	// The session this process last saved for the user stands in for a
	// read: an answer applied to it is saved with compare-and-swap on its
	// version, so a copy made stale elsewhere fails that save and is read
	// afresh. Any reply that saves nothing is given from a fresh read.
	useMemo := true
	for attempt := 0; ; {
		s, fromMemo := Session{}, false
		if useMemo {
			s, fromMemo = b.memo.get(in.User())
			useMemo = false
		}
		var err error
		if !fromMemo {
			s, err = b.cfg.Store.ActiveSession(ctx, in.User())
		} else if r, ok := b.cfg.Store.(recaller); ok {
			r.RecalledSession(ctx, &s)
		}
		// stale drops the remembered copy before a reply that would trust it.
		stale := func() bool {
			if fromMemo {
				b.memo.forget(in.User())
			}
			return fromMemo
		}
		if errors.Is(err, ErrNotFound) {
			// A repeat is looked up only when it is one: the message that
			// closed the session was marked delivered when it closed it.
			return b.onceOnlyElse(ctx, in, b.closingReplies, func() ([]Outbound, error) {
				if out, ok, err := b.dailyReply(ctx, log, in); ok || err != nil {
					return out, err
				}
				return b.noSession(ctx, log, in)
			})
		}
		if err != nil {
			return nil, err
		}
		if !inSessionPlace(&s, in) {
			if stale() {
				continue
			}
			return b.onceOnly(ctx, in, func() ([]Outbound, error) {
				if out, ok, err := b.dailyReply(ctx, log, in); ok || err != nil {
					return out, err
				}
				return b.notHere(ctx, in, &s)
			})
		}
		sc, ok := b.cfg.Library.Get(s.ScenarioID)
		if !ok {
			if stale() {
				continue
			}
			return []Outbound{b.ephemeral(in, "The scenario of this interview is no longer installed. Type `end` to close it and start another.")}, nil
		}
		if input.Word == "" && strings.TrimSpace(input.Text) == "" {
			if stale() {
				continue
			}
			return b.onceOnly(ctx, in, func() ([]Outbound, error) {
				return []Outbound{b.ephemeral(in, msgEmpty+" Type your answer, or `hint`, `next`, `skip`.")}, nil
			})
		}
		if buttonAt != "" && buttonAt != Position(&s) && input.Word != WordEnd {
			if stale() {
				continue
			}
			return b.onceOnly(ctx, in, func() ([]Outbound, error) {
				return []Outbound{b.ephemeral(in, "That button belongs to an earlier question — use the buttons under the latest one, or type the word.")}, nil
			})
		}
		input.Judged = nil
		if input.Word == "" && !(in.MessageID != "" && s.LastMessage == in.MessageID) {
			// Read before Advance, which does no I/O; a redelivery of the
			// message last applied is not read (nor billed) again.
			input.Judged = b.readAnswer(ctx, log, in, &s, sc, input.Text)
		}
		turn := Advance(s, sc, input, b.cfg.Now())
		if !turn.Changed && stale() {
			continue
		}
		if !turn.Changed {
			// Nothing is saved, so nothing records the message: de-duplicate
			// here so a redelivered "hint" or "status" is answered once.
			if first, err := b.firstDelivery(ctx, in); err != nil || !first {
				return nil, err
			}
		}
		if turn.Changed {
			next := turn.Session
			next.Version = s.Version + 1
			replies := slices.Clone(turn.Replies)
			if hasWhiteboard && s.Status == Active {
				replies = append([]Outbound{whiteboardReply(wb, s.Step)}, replies...)
			}
			if next.Status == Completed && s.Status == Active {
				replies = append(replies, b.reportPictures(ctx, log, &next, sc)...)
			}
			replies = b.address(replies, &next, in)
			if in.MessageID != "" {
				next.LastMessage = in.MessageID
			}
			ch := Change{Session: next, Expected: s.Version, MessageID: in.MessageID, TTL: b.cfg.SessionTTL, Previous: &s}
			if in.MessageID != "" && len(replies) > 0 {
				ch.Outbox = outboxOf(in.MessageID, replies, next.Final)
			}
			if next.Status == Completed && next.Final != nil {
				ch.Completion = b.completion(&next)
			}
			err = b.cfg.Store.Save(ctx, ch)
			if errors.Is(err, ErrUnavailable) && b.landed(ctx, &next) {
				// The reply was lost but the change was applied: asking the
				// user to resend would apply their answer twice.
				log.Warn("save reply lost but the change landed", "session", s.ID, "err", err)
				err = nil
			}
			// A remembered copy out of date fails the version check, or
			// finds the session closed: read it, and decide again. A
			// duplicate is one whatever the copy (the store checks applied
			// messages of the same active session first), and is answered
			// below as it would be after a read.
			if (errors.Is(err, ErrConflict) || errors.Is(err, ErrNotActive)) && stale() {
				continue
			}
			if err != nil {
				b.memo.forget(in.User())
			}
			switch {
			case errors.Is(err, ErrConflict):
				if attempt++; attempt <= maxConflictRetries {
					continue
				}
				return nil, fmt.Errorf("session %s: too many concurrent updates: %w", s.ID, err)
			case errors.Is(err, ErrDuplicate):
				if ob := b.claimPending(ctx, &s, in.MessageID); ob != nil {
					// Applied, but the replies never went out.
					log.Info("redelivered message already applied; sending its replies again", "session", s.ID)
					return ob.replies(&s), nil
				}
				log.Info("redelivered message already applied and answered", "session", s.ID)
				return nil, nil
			case errors.Is(err, ErrNotActive):
				continue // completed or ended meanwhile; the reload says so
			case err != nil:
				return nil, err
			}
			b.memo.saved(next)
			switch next.Status {
			case Completed:
				log.Info("interview completed", "session", s.ID, "scenario", s.ScenarioID, "score", next.Final.Score)
			case Abandoned:
				log.Info("interview ended by user", "session", s.ID, "step", s.Step)
			}
			if next.Status != Active && in.MessageID != "" {
				// A platform retry of the message that closed the session
				// finds no active session, so Save's applied set cannot
				// recognise it: mark it delivered, or the retry would be
				// answered with a stray "this interview has ended".
				if _, err := b.cfg.Store.FirstDelivery(ctx, dedupeKey(in), b.cfg.DedupeTTL); err != nil {
					log.Warn("could not mark the closing message as delivered; a platform retry of it may get a stray reply", "err", err)
				}
			}
			return replies, nil
		}
		return b.address(turn.Replies, &s, in), nil
	}
}

// closingReplies finds the replies saved with the change that closed the
// session of in's thread, when in is that very message delivered again (a
// repeat, by its delivery mark): the
// process may have died after saving the report and before posting it, so
// the platform sends the unacknowledged message once more. Anything else
// (another message, no thread, an expired session) gets nothing.
func (b *Bot) closingReplies(ctx context.Context, in Inbound) []Outbound {
	if in.Thread == "" || in.MessageID == "" {
		return nil
	}
	bind, err := b.cfg.Store.Thread(ctx, ThreadRef{Platform: in.Platform, Workspace: in.Workspace, Channel: in.Channel, Thread: in.Thread})
	if err != nil || bind.User != in.User() {
		return nil
	}
	s, err := b.cfg.Store.Session(ctx, bind.User, bind.SessionID)
	if err != nil || s.Status == Active || s.LastMessage != in.MessageID {
		return nil
	}
	ob := b.claimPending(ctx, &s, in.MessageID)
	if ob == nil {
		return nil
	}
	b.cfg.Log.Info("redelivered closing message; sending its replies again", "session", s.ID, "message", in.MessageID)
	return ob.replies(&s)
}

// inSessionPlace reports whether a message belongs to the session: posted
// in its thread, or (before the thread is known, and on the console) in its
// channel.
func inSessionPlace(s *Session, in Inbound) bool {
	if s.Thread != "" {
		return in.Thread == s.Thread
	}
	return in.Channel == s.Channel
}

// bareCommandWords bounds a command typed without "/mlsd" ("help", "start
// eta"): a longer line is someone's words, not a command.
const bareCommandWords = 4

// noSession answers a reply from someone with no interview running. A
// short line that reads as a command ("help", "start eta-prediction",
// typed in a DM or the console without "/mlsd") runs as one: with no
// interview, nothing else could be meant.
func (b *Bot) noSession(ctx context.Context, log *slog.Logger, in Inbound) ([]Outbound, error) {
	if in.Thread == "" {
		if in.Kind == KindReply {
			if cmd := ParseCommand(in.Text); cmd.Name != CmdUnknown && cmd.Problem == "" &&
				len(strings.Fields(in.Text)) <= bareCommandWords {
				in.Kind = KindCommand
				return b.command(ctx, log, in)
			}
			return []Outbound{b.reply(in, "No interview is running. Type `/mlsd start` to begin one, or `/mlsd help`.")}, nil
		}
		return nil, nil
	}
	return b.notHere(ctx, in, nil)
}

// notHere handles a message in a thread that is not the sender's active
// interview: another person's interview gets a short private note, the
// sender's own finished one says so, anything else is not ours to answer.
func (b *Bot) notHere(ctx context.Context, in Inbound, own *Session) ([]Outbound, error) {
	if in.Thread == "" {
		if own != nil && in.Kind == KindReply {
			return []Outbound{b.reply(in, "Your interview continues in its thread — reply there.")}, nil
		}
		return nil, nil
	}
	bind, err := b.cfg.Store.Thread(ctx, ThreadRef{Platform: in.Platform, Workspace: in.Workspace, Channel: in.Channel, Thread: in.Thread})
	if errors.Is(err, ErrNotFound) {
		return nil, nil // not an interview thread: ordinary conversation
	}
	if err != nil {
		return nil, err
	}
	if bind.User != in.User() {
		return []Outbound{b.ephemeral(in, fmt.Sprintf("This is %s's interview, so I won't grade your message. Start your own with `/mlsd start`.", nameOr(bind.UserName, bind.User.UserID)))}, nil
	}
	if own != nil {
		return []Outbound{b.ephemeral(in, "This interview has ended; your current one is in another thread.")}, nil
	}
	return []Outbound{b.ephemeral(in, "This interview has ended. Start a new one with `/mlsd start`.")}, nil
}

// address sends replies to the session's thread; ephemeral ones go to the sender.
func (b *Bot) address(replies []Outbound, s *Session, in Inbound) []Outbound {
	thread := s.Thread
	if thread == "" {
		thread = in.Thread
	}
	for i := range replies {
		r := &replies[i]
		r.Session = s.ID
		if r.Form != nil || r.Where.Kind == Ephemeral {
			r.Where = Where{Kind: Ephemeral, Channel: in.Channel, Thread: thread, User: in.UserID}
			continue
		}
		r.Where = Where{Kind: InThread, Channel: s.Channel, Thread: thread}
	}
	return replies
}

func (b *Bot) completion(s *Session) *Completion {
	r := s.Final
	at := s.Updated.In(b.cfg.Location)
	c := &Completion{
		SessionID:  s.ID,
		ScenarioID: s.ScenarioID,
		UserName:   s.UserName,
		Score:      r.Score,
		Points:     r.Points,
		At:         s.Updated,
		Week:       ISOWeek(at),
		Month:      at.Format("2006-01"),
		Day:        at.Format("2006-01-02"),
		Mode:       s.Mode,
		Band:       r.Band,
	}
	for i, st := range r.Steps {
		if i < Steps {
			c.StepScores[i] = st.Score
		}
	}
	c.Marks = r.Coverage
	kind := KindInterview
	if s.Drill != 0 {
		kind, c.Drill = KindDrill, true
		c.StepScores = [Steps]float64{}
		c.StepScores[s.Drill-1] = r.Steps[0].Score
	}
	c.History = historyEntry(s, kind, c.StepScores)
	return c
}

// AttachThread binds the thread an adapter created for a NewThread message
// to the session, so replies in that thread reach the interview.
func (b *Bot) AttachThread(ctx context.Context, user UserKey, sessionID, channel, thread string) error {
	for attempt := 0; attempt < maxConflictRetries; attempt++ {
		s, err := b.cfg.Store.ActiveSession(ctx, user)
		if err != nil {
			return err
		}
		if s.ID != sessionID {
			return ErrNotActive
		}
		if s.Thread == thread {
			return nil
		}
		next := s
		next.Thread, next.Channel = thread, channel
		next.Version = s.Version + 1
		err = b.cfg.Store.Save(ctx, Change{Session: next, Expected: s.Version, TTL: b.cfg.SessionTTL})
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err == nil {
			b.memo.saved(next)
		}
		return err
	}
	return ErrConflict
}
