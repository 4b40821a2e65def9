// Package fakeslack is an in-process Slack for tests: the Web API methods
// MLSD calls, a Socket Mode WebSocket server, builders for the payloads
// Slack sends (events, slash commands, button clicks, modal submissions)
// and a client that delivers them to an HTTP-mode app with valid (or
// deliberately broken) signatures.
//
// It speaks Slack's wire protocol and never imports a Slack SDK, so the
// real slack-go client can be tested against it. It is stateful:
// channels with membership, users, scopes, monotonically increasing ts
// values, threads, opened modals and Home tabs; and it can be told to fail
// (429 with Retry-After, missing_scope, not_in_channel, ...).
package fakeslack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options configure a fake workspace. Zero fields get the defaults below.
type Options struct {
	TeamID    string // "T0TEAM"
	TeamName  string // "mlsd-test"
	AppID     string // "A0APP"
	BotToken  string // "xoxb-fake"
	AppToken  string // "xapp-fake"
	BotUserID string // "U0BOT"
	BotID     string // "B0BOT"
	// Scopes granted to the bot token; nil grants DefaultScopes.
	Scopes []string
	// PingInterval is how often the Socket Mode server sends WebSocket
	// pings (default 1s); the client's watchdog expects them.
	PingInterval time.Duration
	// EchoBotMessages makes every successful chat.postMessage come back
	// over Socket Mode as a message event from the bot, as real Slack does
	// for channels the app listens to.
	EchoBotMessages bool
	// TriggerTTL is how long a trigger_id stays valid (default 3s).
	TriggerTTL time.Duration
	// Now, when set, makes message timestamps (ts) follow this clock, as
	// Slack's follow its own, so conversations.history's oldest and
	// latest filter by time; by default ts values count up from
	// 1700000000.000001.
	Now func() time.Time
	// Limits, when set, enforces Slack's posting limits (on the clock
	// Now, else time.Now); nil posts without limit.
	Limits *Limits
	// HTTPTimeout is how long SendHTTP waits for the app's answer
	// (default 3s, as Slack).
	HTTPTimeout time.Duration
	// HTTPRetryDelays are the waits before SendHTTP's first, second and
	// third retry of an event (default Slack's: 0, 1 min, 5 min); tests
	// shorten them.
	HTTPRetryDelays []time.Duration
}

// DefaultScopes are granted when Options.Scopes is nil.
var DefaultScopes = []string{
	"app_mentions:read", "channels:history", "channels:join", "channels:read",
	"chat:write", "commands", "files:write", "groups:history", "groups:read", "im:history",
	"im:read", "im:write", "mpim:history", "mpim:read", "users:read",
}

// Channel is a conversation in the fake workspace.
type Channel struct {
	ID       string
	Name     string
	Private  bool // a private channel (is_group)
	IM       bool // a direct message with the bot
	Archived bool
	Member   bool // the bot is in it
}

// User is a person (or bot) in the fake workspace.
type User struct {
	ID          string
	Name        string
	DisplayName string
	IsAdmin     bool
	IsOwner     bool
	IsBot       bool
}

// Message is something posted in the fake workspace, by the bot or by a
// simulated user.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string // empty for a root message
	User     string // author
	BotID    string // set for the bot's posts
	Text     string
	Blocks   json.RawMessage // the blocks as posted, nil when none
	// Ephemeral messages are visible to To only.
	Ephemeral bool
	To        string
	// Via is the method that posted it: "chat.postMessage",
	// "chat.postEphemeral", "files.completeUploadExternal", "response_url"
	// or "user".
	Via string
	// Files are the files shared with files.completeUploadExternal.
	Files []File
	// Metadata is the message metadata posted with it ({event_type,
	// event_payload}), nil when none.
	Metadata json.RawMessage
}

// View is a modal opened with views.open.
type View struct {
	ID        string
	User      string
	TriggerID string
	JSON      json.RawMessage // the view object as sent
}

// Call is one recorded Web API request.
type Call struct {
	Method string
	Params url.Values      // form methods
	JSON   json.RawMessage // JSON methods
	Error  string          // "" when the call succeeded
	Status int
}

// Failure is an injected error for the next matching call.
type Failure struct {
	// Error is Slack's error code, e.g. "missing_scope", "not_in_channel".
	Error string
	// Needed is reported with missing_scope.
	Needed string
	// RetryAfter answers 429 with this Retry-After (whole seconds).
	RetryAfter time.Duration
	// Status, if set, is the HTTP status (default 200, or 429 with RetryAfter).
	Status int
}

type failure struct {
	method, channel string
	f               Failure
}

type trigger struct {
	user    string
	issued  time.Time
	used    bool
	channel string
}

// Server is the fake Slack. Create it with New (in-memory, for synctest
// bubbles) or Start (with a real listener, needed for Socket Mode).
type Server struct {
	opts Options

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every change
	channels map[string]*Channel
	users    map[string]*User
	scopes   []string
	tsSeq    int
	lastTS   int64 // microseconds of the last clock-based ts
	idSeq    int
	calls    []Call
	messages []Message
	triggers map[string]*trigger
	views    []View
	home     map[string]json.RawMessage
	failures []failure
	holds    []*hold
	uploads  map[string]*upload
	limits   limitState

	// Socket Mode
	sock socketState
	// HTTP delivery (SendHTTP)
	http   httpState
	httpWG sync.WaitGroup

	baseURL string
	hs      *httptest.Server
	mux     *http.ServeMux
}

// New returns an unstarted fake; use Client for in-memory requests.
func New(opts Options) *Server {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&opts.TeamID, "T0TEAM")
	def(&opts.TeamName, "mlsd-test")
	def(&opts.AppID, "A0APP")
	def(&opts.BotToken, "xoxb-fake")
	def(&opts.AppToken, "xapp-fake")
	def(&opts.BotUserID, "U0BOT")
	def(&opts.BotID, "B0BOT")
	if opts.Scopes == nil {
		opts.Scopes = DefaultScopes
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = time.Second
	}
	if opts.TriggerTTL <= 0 {
		opts.TriggerTTL = 3 * time.Second
	}
	if opts.Limits != nil {
		l := *opts.Limits
		l.defaults()
		opts.Limits = &l
	}
	if opts.HTTPTimeout <= 0 {
		opts.HTTPTimeout = 3 * time.Second
	}
	if opts.HTTPRetryDelays == nil {
		opts.HTTPRetryDelays = []time.Duration{0, time.Minute, 5 * time.Minute}
	}
	s := &Server{
		opts:     opts,
		changed:  make(chan struct{}),
		channels: make(map[string]*Channel),
		users:    make(map[string]*User),
		scopes:   slices.Clone(opts.Scopes),
		triggers: make(map[string]*trigger),
		home:     make(map[string]json.RawMessage),
		baseURL:  "http://fakeslack.invalid",
	}
	s.sock.init()
	s.http = httpState{dropped: make(map[string]bool), stop: make(chan struct{})}
	s.users[opts.BotUserID] = &User{ID: opts.BotUserID, Name: "mlsd", DisplayName: "MLSD", IsBot: true}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/api/", s.serveAPI)
	s.mux.HandleFunc("/response/", s.serveResponseURL)
	s.mux.HandleFunc("/upload/", s.serveUpload)
	s.mux.HandleFunc("/ws", s.serveSocket)
	return s
}

// Start returns a fake listening on a local port, closed when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := New(opts)
	s.hs = httptest.NewServer(s.mux)
	s.mu.Lock()
	s.baseURL = s.hs.URL
	s.mu.Unlock()
	t.Cleanup(s.Close)
	return s
}

// Close stops HTTP deliveries, drops Socket Mode connections and stops
// the listener.
func (s *Server) Close() {
	s.stopHTTP()
	s.closeSockets()
	if s.hs != nil {
		s.hs.Close()
	}
}

// ServeHTTP makes the fake usable as a plain handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// APIURL is the Web API base, with the trailing slash slack-go needs.
func (s *Server) APIURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL + "/api/"
}

// Options returns the effective options (tokens, ids).
func (s *Server) Options() Options { return s.opts }

// Client returns an http.Client that reaches the fake in memory, without
// a socket, so it also works inside a testing/synctest bubble.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: memTransport{s.mux}}
}

type memTransport struct{ h http.Handler }

func (m memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// AddChannel creates or replaces a channel.
func (s *Server) AddChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cc := c
	s.channels[c.ID] = &cc
	s.notifyLocked()
}

// ChannelInfo returns the current state of a channel.
func (s *Server) ChannelInfo(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[id]
	if !ok {
		return Channel{}, false
	}
	return *c, true
}

// AddUser creates or replaces a user.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	uu := u
	s.users[u.ID] = &uu
	s.notifyLocked()
}

// SetScopes replaces the bot token's scopes.
func (s *Server) SetScopes(scopes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = slices.Clone(scopes)
}

// Fail makes the next call of method (for channel, or any channel when
// channel is "") fail with f. Failures queue up in order.
func (s *Server) Fail(method, channel string, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, failure{method: method, channel: channel, f: f})
}

// Calls returns every recorded Web API call.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Messages returns everything posted so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.messages)
}

// Views returns the modals opened so far.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.views)
}

// Home returns the Home tab last published for a user.
func (s *Server) Home(user string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.home[user]
	return v, ok
}

// waitGuard bounds every Wait*: a guard against a hung test, not a
// synchronisation mechanism (waits return as soon as the state changes).
// Generous, because a bot built with -race on two cores takes 15 s or more
// to compile its rubrics before it connects.
const waitGuard = 60 * time.Second

// Wait blocks until cond (called with the server locked) holds.
func (s *Server) Wait(t testing.TB, what string, cond func(*Snapshot) bool) {
	t.Helper()
	s.WaitUpTo(t, what, waitGuard, cond)
}

// WaitUpTo is Wait with a longer guard, for conditions that wait on
// Slack's own schedule (HTTP retries a minute apart).
func (s *Server) WaitUpTo(t testing.TB, what string, guard time.Duration, cond func(*Snapshot) bool) {
	t.Helper()
	if !s.WaitFor(guard, cond) {
		t.Fatalf("fakeslack: gave up waiting for %s", what)
	}
}

// WaitFor is WaitUpTo that reports whether cond came to hold within
// guard instead of failing the test, for outcomes a test measures.
func (s *Server) WaitFor(guard time.Duration, cond func(*Snapshot) bool) bool {
	timer := time.NewTimer(guard)
	defer timer.Stop()
	for {
		s.mu.Lock()
		ok := cond(&Snapshot{s: s})
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-timer.C:
			return false
		}
	}
}

// Snapshot is the locked state handed to Wait conditions.
type Snapshot struct{ s *Server }

// Messages posted so far.
func (sn *Snapshot) Messages() []Message { return sn.s.messages }

// Views opened so far.
func (sn *Snapshot) Views() []View { return sn.s.views }

// Calls recorded so far.
func (sn *Snapshot) Calls() []Call { return sn.s.calls }

// Home tab published for user.
func (sn *Snapshot) Home(user string) json.RawMessage { return sn.s.home[user] }

// Acked reports whether an envelope was acknowledged: by a Socket Mode
// ack, or by a 2xx answer to its HTTP delivery (SendHTTP).
func (sn *Snapshot) Acked(envelopeID string) bool {
	_, ok := sn.s.sock.acks[envelopeID]
	return ok
}

// Opens is the number of apps.connections.open calls.
func (sn *Snapshot) Opens() int { return sn.s.sock.opens }

// Connected reports whether a Socket Mode connection is live and greeted.
func (sn *Snapshot) Connected() bool { return sn.s.sock.cur != nil && !sn.s.sock.cur.closing }

// WaitMessages waits until at least n posted messages satisfy match and
// returns all the matching ones.
func (s *Server) WaitMessages(t testing.TB, n int, match func(Message) bool) []Message {
	t.Helper()
	var got []Message
	s.Wait(t, fmt.Sprintf("%d matching messages", n), func(sn *Snapshot) bool {
		got = got[:0]
		for _, m := range sn.Messages() {
			if match(m) {
				got = append(got, m)
			}
		}
		return len(got) >= n
	})
	return slices.Clone(got)
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) nextTSLocked() string {
	if s.opts.Now != nil {
		// Unique and increasing, like Slack's, even when the clock stands.
		us := max(s.opts.Now().UnixMicro(), s.lastTS+1)
		s.lastTS = us
		return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
	}
	s.tsSeq++
	return fmt.Sprintf("1700000000.%06d", s.tsSeq)
}

func (s *Server) nextIDLocked(prefix string) string {
	s.idSeq++
	return fmt.Sprintf("%s%06d", prefix, s.idSeq)
}

// apiResult is what one Web API method answers.
type apiResult struct {
	status     int
	retryAfter time.Duration
	body       map[string]any
}

func okResult(fields map[string]any) apiResult {
	if fields == nil {
		fields = map[string]any{}
	}
	fields["ok"] = true
	return apiResult{status: http.StatusOK, body: fields}
}

func errResult(code string) apiResult {
	return apiResult{status: http.StatusOK, body: map[string]any{"ok": false, "error": code}}
}

type request struct {
	method string
	token  string
	form   url.Values
	json   map[string]any
	raw    []byte
}

func (r *request) param(name string) string {
	if r.json != nil {
		if v, ok := r.json[name].(string); ok {
			return v
		}
		return ""
	}
	return r.form.Get(name)
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := &request{method: strings.TrimPrefix(r.URL.Path, "/api/"), raw: body}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if len(bytes.TrimSpace(body)) > 0 && !bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
			if err := json.Unmarshal(body, &req.json); err != nil {
				writeResult(w, errResult("invalid_json"))
				return
			}
		}
		if req.json == nil {
			req.json = map[string]any{}
		}
	} else {
		req.form, _ = url.ParseQuery(string(body))
		req.token = req.form.Get("token")
	}
	if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		req.token = bearer
	}

	s.parkIfHeld(req.method, body)
	s.mu.Lock()
	res := s.handleLocked(req)
	call := Call{Method: req.method, Params: req.form, Status: res.status}
	if req.json != nil {
		call.JSON = json.RawMessage(slices.Clone(body))
	}
	if ok, _ := res.body["ok"].(bool); !ok {
		call.Error, _ = res.body["error"].(string)
		if res.status == http.StatusTooManyRequests {
			call.Error = "ratelimited"
		}
	}
	s.calls = append(s.calls, call)
	s.notifyLocked()
	s.mu.Unlock()
	writeResult(w, res)
}

func writeResult(w http.ResponseWriter, res apiResult) {
	w.Header().Set("Content-Type", "application/json")
	if res.retryAfter > 0 || res.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(int(res.retryAfter/time.Second)))
	}
	w.WriteHeader(res.status)
	_ = json.NewEncoder(w).Encode(res.body)
}

// methodScope is the scope each method needs; conversations.info depends on
// the channel type and is checked in place.
var methodScope = map[string]string{
	"chat.postMessage":   "chat:write",
	"chat.postEphemeral": "chat:write",
	"conversations.join": "channels:join",
	"users.info":         "users:read",
	// Both steps of a file upload need files:write.
	"files.getUploadURLExternal":   "files:write",
	"files.completeUploadExternal": "files:write",
	"conversations.open":           "im:write",
}

func (s *Server) handleLocked(req *request) apiResult {
	switch req.method {
	case "apps.connections.open":
		if req.token != s.opts.AppToken {
			if req.token == "" {
				return errResult("not_authed")
			}
			return errResult("invalid_auth")
		}
	default:
		if req.token == "" {
			return errResult("not_authed")
		}
		if req.token != s.opts.BotToken {
			return errResult("invalid_auth")
		}
	}
	if res, ok := s.injectedLocked(req); ok {
		return res
	}
	if scope, ok := methodScope[req.method]; ok && !slices.Contains(s.scopes, scope) {
		return s.missingScopeLocked(scope)
	}
	switch req.method {
	case "auth.test":
		return okResult(map[string]any{
			"url": "https://" + s.opts.TeamName + ".slack.com/", "team": s.opts.TeamName, "user": "mlsd",
			"team_id": s.opts.TeamID, "user_id": s.opts.BotUserID, "bot_id": s.opts.BotID,
		})
	case "apps.connections.open":
		s.sock.opens++
		return okResult(map[string]any{"url": "ws" + strings.TrimPrefix(s.baseURL, "http") + "/ws"})
	case "chat.postMessage":
		return s.postMessageLocked(req)
	case "chat.postEphemeral":
		return s.postEphemeralLocked(req)
	case "chat.update":
		return s.updateMessageLocked(req)
	case "conversations.info":
		return s.conversationInfoLocked(req)
	case "conversations.join":
		return s.joinLocked(req)
	case "users.info":
		u, ok := s.users[req.param("user")]
		if !ok {
			return errResult("user_not_found")
		}
		return okResult(map[string]any{"user": userJSON(u, s.opts.TeamID)})
	case "views.open":
		return s.viewsOpenLocked(req)
	case "views.publish":
		return s.viewsPublishLocked(req)
	case "files.getUploadURLExternal":
		return s.getUploadURLLocked(req)
	case "files.completeUploadExternal":
		return s.completeUploadLocked(req)
	case "conversations.open":
		return s.openConversationLocked(req)
	case "conversations.history":
		return s.historyLocked(req)
	case "conversations.replies":
		return s.repliesLocked(req)
	}
	return errResult("unknown_method")
}

func (s *Server) missingScopeLocked(needed string) apiResult {
	res := errResult("missing_scope")
	res.body["needed"] = needed
	res.body["provided"] = strings.Join(s.scopes, ",")
	return res
}

func (s *Server) injectedLocked(req *request) (apiResult, bool) {
	for i, f := range s.failures {
		if f.method != req.method || (f.channel != "" && f.channel != req.param("channel")) {
			continue
		}
		s.failures = slices.Delete(s.failures, i, i+1)
		if f.f.RetryAfter > 0 || f.f.Status == http.StatusTooManyRequests {
			return apiResult{status: http.StatusTooManyRequests, retryAfter: f.f.RetryAfter,
				body: map[string]any{"ok": false, "error": "ratelimited"}}, true
		}
		if f.f.Error == "missing_scope" {
			return s.missingScopeLocked(f.f.Needed), true
		}
		res := errResult(f.f.Error)
		if f.f.Status != 0 {
			res.status = f.f.Status
		}
		return res, true
	}
	return apiResult{}, false
}

func userJSON(u *User, team string) map[string]any {
	return map[string]any{
		"id": u.ID, "team_id": team, "name": u.Name, "real_name": u.DisplayName,
		"is_admin": u.IsAdmin, "is_owner": u.IsOwner, "is_bot": u.IsBot,
		"profile": map[string]any{"display_name": u.DisplayName, "real_name": u.DisplayName},
	}
}

func channelJSON(c *Channel) map[string]any {
	return map[string]any{
		"id": c.ID, "name": c.Name, "is_channel": !c.Private && !c.IM, "is_group": c.Private,
		"is_im": c.IM, "is_private": c.Private || c.IM, "is_archived": c.Archived, "is_member": c.Member,
	}
}

// postable checks that the bot may post in channel.
func (s *Server) postableLocked(id string) (*Channel, string) {
	c, ok := s.channels[id]
	if !ok || (c.Private && !c.Member) {
		return nil, "channel_not_found"
	}
	if c.Archived {
		return nil, "is_archived"
	}
	if !c.Member && !(slices.Contains(s.scopes, "chat:write.public") && !c.Private && !c.IM) {
		return nil, "not_in_channel"
	}
	return c, ""
}

func (s *Server) threadExistsLocked(channel, ts string) bool {
	for _, m := range s.messages {
		if m.Channel == channel && m.TS == ts && m.ThreadTS == "" && !m.Ephemeral {
			return true
		}
	}
	return false
}

func (s *Server) postMessageLocked(req *request) apiResult {
	ch := req.param("channel")
	if _, code := s.postableLocked(ch); code != "" {
		return errResult(code)
	}
	now := time.Now()
	if s.opts.Now != nil {
		now = s.opts.Now()
	}
	if res, refused := s.rateLimitedLocked(ch, now); refused {
		return res
	}
	text, blocks, code := s.content(req)
	if code != "" {
		return errResult(code)
	}
	thread := req.param("thread_ts")
	if thread != "" && !s.threadExistsLocked(ch, thread) {
		// Real Slack would post unthreaded; being strict here catches
		// adapters that lose track of their thread.
		return errResult("thread_not_found")
	}
	meta, code := metadata(req.param("metadata"))
	if code != "" {
		return errResult(code)
	}
	ts := s.nextTSLocked()
	m := Message{Channel: ch, TS: ts, ThreadTS: thread, User: s.opts.BotUserID, BotID: s.opts.BotID,
		Text: text, Blocks: blocks, Via: "chat.postMessage", Metadata: meta}
	s.messages = append(s.messages, m)
	if s.opts.EchoBotMessages {
		s.sock.enqueueLocked(s, s.botEchoLocked(m))
	}
	msg := map[string]any{"type": "message", "text": text, "user": m.User, "bot_id": m.BotID, "ts": ts}
	if thread != "" {
		msg["thread_ts"] = thread
	}
	return okResult(map[string]any{"channel": ch, "ts": ts, "message": msg})
}

// updateMessageLocked is chat.update: the bot's own message in channel at
// ts gets new text and blocks.
func (s *Server) updateMessageLocked(req *request) apiResult {
	ch, ts := req.param("channel"), req.param("ts")
	text, blocks, code := s.content(req)
	if code != "" {
		return errResult(code)
	}
	for i := range s.messages {
		m := &s.messages[i]
		if m.Channel == ch && m.TS == ts && !m.Ephemeral {
			if m.BotID != s.opts.BotID {
				return errResult("cant_update_message")
			}
			m.Text, m.Blocks = text, blocks
			return okResult(map[string]any{"channel": ch, "ts": ts, "text": text})
		}
	}
	return errResult("message_not_found")
}

func (s *Server) postEphemeralLocked(req *request) apiResult {
	ch := req.param("channel")
	if _, code := s.postableLocked(ch); code != "" {
		return errResult(code)
	}
	user := req.param("user")
	if _, ok := s.users[user]; !ok {
		return errResult("user_not_found")
	}
	text, blocks, code := s.content(req)
	if code != "" {
		return errResult(code)
	}
	ts := s.nextTSLocked()
	s.messages = append(s.messages, Message{Channel: ch, TS: ts, ThreadTS: req.param("thread_ts"), User: s.opts.BotUserID,
		BotID: s.opts.BotID, Text: text, Blocks: blocks, Ephemeral: true, To: user, Via: "chat.postEphemeral"})
	return okResult(map[string]any{"message_ts": ts})
}

// content extracts and validates a message's text and blocks.
func (s *Server) content(req *request) (string, json.RawMessage, string) {
	text := req.param("text")
	var blocks json.RawMessage
	if b := req.param("blocks"); b != "" {
		blocks = json.RawMessage(b)
		if err := ValidateBlocks(blocks, 50); err != nil {
			return "", nil, "invalid_blocks"
		}
	}
	if text == "" && blocks == nil {
		return "", nil, "no_text"
	}
	if len([]rune(text)) > 40000 {
		return "", nil, "msg_too_long"
	}
	return text, blocks, ""
}

func (s *Server) conversationInfoLocked(req *request) apiResult {
	c, ok := s.channels[req.param("channel")]
	if !ok {
		return errResult("channel_not_found")
	}
	scope := "channels:read"
	switch {
	case c.IM:
		scope = "im:read"
	case c.Private:
		scope = "groups:read"
	}
	if !slices.Contains(s.scopes, scope) {
		return s.missingScopeLocked(scope)
	}
	if c.Private && !c.Member {
		return errResult("channel_not_found")
	}
	return okResult(map[string]any{"channel": channelJSON(c)})
}

func (s *Server) joinLocked(req *request) apiResult {
	c, ok := s.channels[req.param("channel")]
	if !ok || (c.Private && !c.Member) {
		return errResult("channel_not_found")
	}
	if c.Private || c.IM {
		return errResult("method_not_supported_for_channel_type")
	}
	if c.Archived {
		return errResult("is_archived")
	}
	res := okResult(nil)
	if c.Member {
		res.body["warning"] = "already_in_channel"
	}
	c.Member = true
	res.body["channel"] = channelJSON(c)
	return res
}

func (s *Server) viewsOpenLocked(req *request) apiResult {
	tid, _ := req.json["trigger_id"].(string)
	tr, ok := s.triggers[tid]
	switch {
	case !ok:
		return errResult("invalid_trigger_id")
	case tr.used || time.Since(tr.issued) > s.opts.TriggerTTL:
		return errResult("expired_trigger_id")
	}
	raw, err := marshalView(req.json["view"])
	if err != nil || req.json["view"] == nil {
		return errResult("invalid_arguments")
	}
	if err := ValidateModal(raw); err != nil {
		return errResult("invalid_arguments")
	}
	tr.used = true
	id := s.nextIDLocked("V")
	s.views = append(s.views, View{ID: id, User: tr.user, TriggerID: tid, JSON: raw})
	return okResult(map[string]any{"view": viewResponse(raw, id, s.opts.TeamID)})
}

func (s *Server) viewsPublishLocked(req *request) apiResult {
	user, _ := req.json["user_id"].(string)
	if _, ok := s.users[user]; !ok {
		return errResult("user_not_found")
	}
	raw, err := marshalView(req.json["view"])
	if err != nil || req.json["view"] == nil {
		return errResult("invalid_arguments")
	}
	var v struct {
		Type   string          `json:"type"`
		Blocks json.RawMessage `json:"blocks"`
	}
	if json.Unmarshal(raw, &v) != nil || v.Type != "home" || ValidateBlocks(v.Blocks, 100) != nil {
		return errResult("invalid_arguments")
	}
	s.home[user] = raw
	return okResult(map[string]any{"view": viewResponse(raw, s.nextIDLocked("V"), s.opts.TeamID)})
}

// marshalView re-encodes a view as sent, keeping <, > and & readable so
// tests can search it.
func marshalView(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSpace(buf.Bytes()), nil
}

func viewResponse(raw json.RawMessage, id, team string) map[string]any {
	var v map[string]any
	_ = json.Unmarshal(raw, &v)
	v["id"] = id
	v["team_id"] = team
	v["hash"] = "h" + id
	return v
}

// serveResponseURL records messages sent to a slash command's or an
// interaction's response_url.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	var msg struct {
		Text         string          `json:"text"`
		Blocks       json.RawMessage `json:"blocks"`
		ResponseType string          `json:"response_type"`
		ThreadTS     string          `json:"thread_ts"`
	}
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/response/")
	s.mu.Lock()
	defer s.mu.Unlock()
	tr, ok := s.triggers[id]
	if !ok {
		http.Error(w, "unknown response_url", http.StatusNotFound)
		return
	}
	if len(msg.Blocks) > 0 && string(msg.Blocks) != "null" {
		if err := ValidateBlocks(msg.Blocks, 50); err != nil {
			http.Error(w, "invalid_blocks", http.StatusBadRequest)
			return
		}
	} else {
		msg.Blocks = nil
	}
	s.messages = append(s.messages, Message{Channel: tr.channel, TS: s.nextTSLocked(), ThreadTS: msg.ThreadTS,
		User: s.opts.BotUserID, BotID: s.opts.BotID, Text: msg.Text, Blocks: msg.Blocks,
		Ephemeral: msg.ResponseType != "in_channel", To: tr.user, Via: "response_url"})
	s.notifyLocked()
	_, _ = io.WriteString(w, "ok")
}
