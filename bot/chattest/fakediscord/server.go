// Package fakediscord is an in-process Discord for tests: the REST API over
// httptest and a gateway WebSocket (hello, identify, ready, heartbeat/ack,
// resume/resumed, dispatch), with Discord's limits enforced and every
// request recorded. It does not import discordgo; it speaks the wire
// protocol, so the real client is what gets tested.
//
// Tests drive it as a user would: send a slash command, click a button on
// a message the bot posted, submit the modal the bot opened, type in a
// thread, drop the gateway connection. They wait for what the bot does
// with Await* calls, which block on the fake's own records (a timeout is
// only a guard), never on sleeps.
package fakediscord

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options configure a fake.
type Options struct {
	// Token is the bot token the fake accepts ("Bot " prefix optional).
	Token string
	// HeartbeatInterval sent in HELLO (default 45 s, so tests see only the
	// first heartbeat).
	HeartbeatInterval time.Duration
	// MessageContentAllowed is the portal toggle for the privileged
	// MESSAGE_CONTENT intent; identifying with it while false closes 4014.
	MessageContentAllowed bool
	// AckDeadline is how long an interaction waits for its first response
	// (default 3 s, as on Discord); later callbacks get 10062.
	AckDeadline time.Duration
	// AwaitTimeout guards Await* calls (default 60 s: a bot built with -race
	// takes 15 s or more to compile its rubrics before it connects).
	AwaitTimeout time.Duration
	// Now, when set, is the clock of message timestamps and snowflake ids
	// (so a list's after/before filter by it) and of Limits; default
	// time.Now.
	Now func() time.Time
	// Limits, when set, enforces Discord's REST rate limits; nil leaves
	// every request unlimited.
	Limits *Limits
}

// Server is a fake Discord.
type Server struct {
	AppID   string
	GuildID string
	// Channel is the guild's text channel where tests run commands.
	Channel string
	Bot     User

	opts Options
	srv  *httptest.Server
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey

	mu           sync.Mutex
	changed      chan struct{} // closed and replaced on every recorded change
	lastID       int64
	channels     map[string]*Channel
	messages     map[string]*Message
	order        []string // message ids in creation order
	events       []MessageEvent
	claimedEv    map[int]bool
	requests     []Request
	claimedReq   map[int]bool
	interactions map[string]*interactionState // by token
	modals       []Modal
	commands     map[string][]Command // by scope: "" global, else guild id
	sessions     map[string]*gwSession
	gwEvents     []GatewayEvent
	claimedGw    map[int]bool
	users        map[string]User
	failures     []failure
	global       window             // Limits.Global
	routes       map[string]*window // Limits.Route, by bucket
	limitedN     int                // requests refused with 429
	hold         holdState
}

// MessageEvent is a message created or edited, in the order they happened.
type MessageEvent struct {
	Kind    string // "create", "edit", "delete"
	Message Message
}

// Request is one recorded REST request with the fake's answer.
type Request struct {
	Method string
	Path   string // without the /api/v9 prefix
	Query  string
	Body   []byte
	Status int
	At     time.Time
}

// GatewayEvent is something that happened on the gateway.
type GatewayEvent struct {
	Kind    string // "identify", "resume", "closed", "invalid"
	Session string
	Intents int
	Shard   []int
	Code    int // close code sent by the fake, or 0
}

type failure struct {
	method, prefix string
	status         int
	body           string
	times          int
}

// New starts a fake Discord and stops it when the test ends.
func New(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.Token == "" {
		opts.Token = "test-token"
	}
	if opts.HeartbeatInterval == 0 {
		opts.HeartbeatInterval = 45 * time.Second
	}
	if opts.AckDeadline == 0 {
		opts.AckDeadline = 3 * time.Second
	}
	if opts.AwaitTimeout == 0 {
		opts.AwaitTimeout = 60 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Limits != nil {
		l := *opts.Limits
		l.defaults()
		opts.Limits = &l
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{
		opts:         opts,
		pub:          pub,
		priv:         priv,
		changed:      make(chan struct{}),
		channels:     map[string]*Channel{},
		messages:     map[string]*Message{},
		claimedEv:    map[int]bool{},
		claimedReq:   map[int]bool{},
		interactions: map[string]*interactionState{},
		commands:     map[string][]Command{},
		sessions:     map[string]*gwSession{},
		claimedGw:    map[int]bool{},
		users:        map[string]User{},
		routes:       map[string]*window{},
	}
	s.AppID = s.newID()
	s.GuildID = s.newID()
	s.Channel = s.newID()
	s.Bot = User{ID: s.AppID, Name: "MLSD", Bot: true}
	s.channels[s.Channel] = &Channel{ID: s.Channel, Type: ChannelText, GuildID: s.GuildID, Name: "ml-interviews"}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	tb.Cleanup(s.Close)
	return s
}

// Client returns an http.Client that reaches the fake in memory, without
// a socket, so it also works inside a testing/synctest bubble (where a
// socket would stop the bubble's clock).
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: memTransport{http.HandlerFunc(s.serveHTTP)}}
}

type memTransport struct{ h http.Handler }

func (m memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	if r.Body == nil {
		// A client request may have none; a server request always has one.
		r = r.Clone(r.Context())
		r.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// URL is the fake's base URL (http://127.0.0.1:port); point the client's
// API base at it.
func (s *Server) URL() string { return s.srv.URL }

// PublicKey is the key the fake signs HTTP interactions with.
func (s *Server) PublicKey() ed25519.PublicKey { return s.pub }

// Token is the bot token the fake accepts.
func (s *Server) Token() string { return s.opts.Token }

// Close stops the fake and drops every gateway connection.
func (s *Server) Close() {
	s.mu.Lock()
	for _, g := range s.sessions {
		g.drop()
	}
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// AddUser makes a guild member.
func (s *Server) AddUser(name string, admin bool) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := User{ID: s.newID(), Name: name, Admin: admin}
	s.users[u.ID] = u
	return u
}

// AddChannel makes another text channel in the guild.
func (s *Server) AddChannel(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.newID()
	s.channels[id] = &Channel{ID: id, Type: ChannelText, GuildID: s.GuildID, Name: name}
	return id
}

// FailNext makes the next `times` requests whose path starts with prefix
// (and method matches, if not empty) fail with status and a JSON body
// {"code": code, "message": ...}.
func (s *Server) FailNext(method, prefix string, status, code, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body := fmt.Sprintf(`{"code":%d,"message":"injected failure"}`, code)
	s.failures = append(s.failures, failure{method: method, prefix: prefix, status: status, body: body, times: times})
}

// Channel returns a channel or thread by id.
func (s *Server) ChannelByID(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[id]
	if !ok {
		return Channel{}, false
	}
	return *c, true
}

// Messages returns the live messages of a channel in creation order.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, id := range s.order {
		m := s.messages[id]
		if m.ChannelID == channelID && !m.Deleted {
			out = append(out, *m)
		}
	}
	return out
}

// AllMessages returns every message ever created, in creation order.
func (s *Server) AllMessages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, *s.messages[id])
	}
	return out
}

// Requests returns every recorded REST request.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Commands returns the commands registered in a scope ("" = global).
func (s *Server) Commands(guildID string) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Command(nil), s.commands[guildID]...)
}

// await blocks until check finds something, re-checking after every change.
func (s *Server) await(tb testing.TB, what string, check func() bool) {
	tb.Helper()
	timeout := time.NewTimer(s.opts.AwaitTimeout)
	defer timeout.Stop()
	for {
		s.mu.Lock()
		ok := check()
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-timeout.C:
			tb.Fatalf("fakediscord: timed out after %v waiting for %s\n%s", s.opts.AwaitTimeout, what, s.dump())
		}
	}
}

// notify wakes every waiter; callers hold s.mu.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// AwaitMessage waits for the first message create or edit, not returned
// before, that satisfies match, and returns the message as it was then.
func (s *Server) AwaitMessage(tb testing.TB, what string, match func(MessageEvent) bool) Message {
	tb.Helper()
	var got Message
	s.await(tb, "message: "+what, func() bool {
		for i, e := range s.events {
			if !s.claimedEv[i] && match(e) {
				s.claimedEv[i] = true
				got = e.Message
				return true
			}
		}
		return false
	})
	return got
}

// AwaitRequest waits for the first recorded request, not returned before,
// that satisfies match.
func (s *Server) AwaitRequest(tb testing.TB, what string, match func(Request) bool) Request {
	tb.Helper()
	var got Request
	s.await(tb, "request: "+what, func() bool {
		for i, r := range s.requests {
			if !s.claimedReq[i] && match(r) {
				s.claimedReq[i] = true
				got = r
				return true
			}
		}
		return false
	})
	return got
}

// AwaitGateway waits for the next gateway event of this kind not returned
// before ("identify", "resume", "closed", "invalid").
func (s *Server) AwaitGateway(tb testing.TB, kind string) GatewayEvent {
	tb.Helper()
	var got GatewayEvent
	s.await(tb, "gateway "+kind, func() bool {
		for i, e := range s.gwEvents {
			if !s.claimedGw[i] && e.Kind == kind {
				s.claimedGw[i] = true
				got = e
				return true
			}
		}
		return false
	})
	return got
}

// GatewayEvents returns everything that happened on the gateway so far.
func (s *Server) GatewayEvents() []GatewayEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]GatewayEvent(nil), s.gwEvents...)
}

// AwaitModal waits for the modal opened in answer to an interaction.
func (s *Server) AwaitModal(tb testing.TB, in *Interaction) Modal {
	tb.Helper()
	var got Modal
	s.await(tb, "modal for interaction "+in.ID, func() bool {
		for _, m := range s.modals {
			if m.Interaction == in.ID {
				got = m
				return true
			}
		}
		return false
	})
	return got
}

// AwaitResponse waits until an interaction got its first response and
// returns the response type.
func (s *Server) AwaitResponse(tb testing.TB, in *Interaction) int {
	tb.Helper()
	var typ int
	s.await(tb, "response to interaction "+in.ID, func() bool {
		st := s.interactions[in.Token]
		if st != nil && st.responded {
			typ = st.responseType
			return true
		}
		return false
	})
	return typ
}

// AckLatency is how long the interaction waited for its first response.
func (s *Server) AckLatency(in *Interaction) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.interactions[in.Token]
	if st == nil || !st.responded {
		return 0, false
	}
	return st.respondedAt.Sub(st.sentAt), true
}

// Choices returns the autocomplete choices the bot answered with.
func (s *Server) Choices(in *Interaction) []CommandChoice {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.interactions[in.Token]
	if st == nil {
		return nil
	}
	return st.choices
}

func (s *Server) dump() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	b.WriteString("recorded requests:\n")
	for _, r := range s.requests {
		body := string(r.Body)
		if len(body) > 300 {
			body = body[:300] + "…"
		}
		fmt.Fprintf(&b, "  %s %s -> %d %s\n", r.Method, r.Path, r.Status, body)
	}
	b.WriteString("gateway:\n")
	for _, e := range s.gwEvents {
		fmt.Fprintf(&b, "  %+v\n", e)
	}
	return b.String()
}

// newID mints a snowflake whose timestamp is now; callers hold s.mu or
// run before the server is shared.
func (s *Server) newID() string {
	id := (s.opts.Now().UnixMilli() - discordEpochMillis) << 22
	if id <= s.lastID {
		id = s.lastID + 1
	}
	s.lastID = id
	return strconv.FormatInt(id, 10)
}

// record appends a request; callers hold s.mu.
func (s *Server) record(r Request) {
	s.requests = append(s.requests, r)
	s.notify()
}

// addMessage stores a new message and records the event; callers hold s.mu.
func (s *Server) addMessage(m *Message) {
	s.messages[m.ID] = m
	s.order = append(s.order, m.ID)
	s.events = append(s.events, MessageEvent{Kind: "create", Message: *m})
	s.notify()
}

func (s *Server) editEvent(m *Message, kind string) {
	s.events = append(s.events, MessageEvent{Kind: kind, Message: *m})
	s.notify()
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
