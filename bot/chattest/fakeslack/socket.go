package fakeslack

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Envelope is one Socket Mode request (or, delivered by AppClient, one
// HTTP request) from Slack to the app.
type Envelope struct {
	// Type is "events_api", "slash_commands" or "interactive".
	Type    string
	ID      string
	Payload json.RawMessage
	// Retry is the retry_attempt Slack reports (0 on first delivery).
	Retry int
}

type envelope struct {
	Envelope
	on    *wsConn // connection it was last written to; nil while waiting
	sends int
}

type wsConn struct {
	c       *websocket.Conn
	out     chan []byte
	done    chan struct{}
	closing bool // told to disconnect; receives nothing new
}

type socketState struct {
	opens int
	cur   *wsConn
	all   []*wsConn
	queue []*envelope // unacknowledged, in order
	acks  map[string]json.RawMessage
}

func (st *socketState) init() { st.acks = make(map[string]json.RawMessage) }

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	wc := &wsConn{c: c, out: make(chan []byte, 1024), done: make(chan struct{})}
	hello, _ := json.Marshal(map[string]any{
		"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": s.opts.AppID},
		"debug_info":      map[string]any{"host": "fakeslack", "approximate_connection_time": 18060},
	})
	wc.out <- hello

	s.mu.Lock()
	s.sock.cur = wc
	s.sock.all = append(s.sock.all, wc)
	s.deliverLocked()
	s.notifyLocked()
	s.mu.Unlock()

	go s.writeLoop(wc)
	defer s.dropConn(wc)
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &ack) != nil || ack.EnvelopeID == "" {
			continue
		}
		s.mu.Lock()
		if ack.Payload == nil {
			ack.Payload = json.RawMessage("null")
		}
		s.sock.acks[ack.EnvelopeID] = ack.Payload
		s.sock.queue = slices.DeleteFunc(s.sock.queue, func(e *envelope) bool { return e.ID == ack.EnvelopeID })
		s.notifyLocked()
		s.mu.Unlock()
	}
}

func (s *Server) writeLoop(wc *wsConn) {
	ping := time.NewTicker(s.opts.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-wc.done:
			return
		case msg := <-wc.out:
			if wc.c.WriteMessage(websocket.TextMessage, msg) != nil {
				_ = wc.c.Close()
				return
			}
		case <-ping.C:
			if wc.c.WriteControl(websocket.PingMessage, []byte("fakeslack"), time.Now().Add(time.Second)) != nil {
				_ = wc.c.Close()
				return
			}
		}
	}
}

// dropConn forgets a closed connection; what it left unacknowledged goes
// to the next connection as a retry, as Slack does.
func (s *Server) dropConn(wc *wsConn) {
	_ = wc.c.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-wc.done:
	default:
		close(wc.done)
	}
	if s.sock.cur == wc {
		s.sock.cur = nil
	}
	for _, e := range s.sock.queue {
		if e.on == wc {
			e.on = nil
		}
	}
	s.deliverLocked()
	s.notifyLocked()
}

// deliverLocked writes every waiting envelope to the live connection.
func (s *Server) deliverLocked() {
	cur := s.sock.cur
	if cur == nil || cur.closing {
		return
	}
	for _, e := range s.sock.queue {
		if e.on != nil {
			continue
		}
		frame := map[string]any{
			"type": e.Type, "envelope_id": e.ID, "payload": e.Payload,
			"accepts_response_payload": e.Type != "events_api",
			"retry_attempt":            e.Retry + e.sends,
		}
		if e.Retry+e.sends > 0 {
			frame["retry_reason"] = "timeout"
		}
		b, _ := json.Marshal(frame)
		select {
		case cur.out <- b:
			e.on = cur
			e.sends++
		default: // writer is far behind; try again on the next change
			return
		}
	}
}

func (st *socketState) enqueueLocked(s *Server, env Envelope) {
	st.queue = append(st.queue, &envelope{Envelope: env})
	s.deliverLocked()
}

// Send queues envelopes for the Socket Mode connection; they are written
// now if a connection is live, else when the app reconnects. Envelopes
// stay queued until acknowledged: a connection that closes first hands
// them to the next one with retry_attempt incremented.
func (s *Server) Send(envs ...Envelope) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range envs {
		s.sock.enqueueLocked(s, e)
	}
	s.notifyLocked()
}

// Retry returns env as Slack would redeliver it after a missed ack: a new
// envelope id, the same payload, retry_attempt incremented.
func (s *Server) Retry(env Envelope) Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	env.ID = s.nextIDLocked("env-")
	env.Retry++
	return env
}

// Disconnect sends a disconnect frame ("refresh_requested", "warning",
// ...) on the live connection. Nothing more is written to it; later
// envelopes wait for the app to reconnect.
func (s *Server) Disconnect(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.sock.cur
	if cur == nil {
		return
	}
	b, _ := json.Marshal(map[string]any{"type": "disconnect", "reason": reason,
		"debug_info": map[string]any{"host": "fakeslack"}})
	cur.out <- b
	cur.closing = true
	s.notifyLocked()
}

// Ack returns the payload an envelope was acknowledged with.
func (s *Server) Ack(envelopeID string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.sock.acks[envelopeID]
	return p, ok
}

// WaitAck waits until the envelope is acknowledged and returns its payload
// ("null" when the ack carried none).
func (s *Server) WaitAck(t testing.TB, envelopeID string) json.RawMessage {
	t.Helper()
	s.Wait(t, "ack of "+envelopeID, func(sn *Snapshot) bool { return sn.Acked(envelopeID) })
	p, _ := s.Ack(envelopeID)
	return p
}

// WaitConnected waits until the app holds a live connection opened with
// at least opens calls of apps.connections.open.
func (s *Server) WaitConnected(t testing.TB, opens int) {
	t.Helper()
	s.Wait(t, "a socket mode connection", func(sn *Snapshot) bool {
		return sn.Connected() && sn.Opens() >= opens
	})
}

func (s *Server) closeSockets() {
	s.mu.Lock()
	conns := slices.Clone(s.sock.all)
	s.mu.Unlock()
	for _, wc := range conns {
		_ = wc.c.Close()
	}
}
