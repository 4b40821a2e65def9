package fakediscord

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// frame is a gateway payload.
type frame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d,omitempty"`
	S  int64           `json:"s,omitempty"`
	T  string          `json:"t,omitempty"`
}

// gwConn is one WebSocket; gorilla allows one writer at a time.
type gwConn struct {
	ws  *websocket.Conn
	wmu sync.Mutex
}

func (c *gwConn) write(f frame) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteJSON(f)
}

func (c *gwConn) closeWith(code int, text string) {
	c.wmu.Lock()
	c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	c.wmu.Unlock()
	c.ws.Close()
}

// gwSession is a gateway session: it outlives connections until the client
// closes it normally or it is invalidated, and it buffers every dispatch so
// a RESUME can replay what was missed.
type gwSession struct {
	id      string
	intents int
	shard   []int
	seq     int64
	buffer  []frame
	conn    *gwConn
	invalid bool
}

// dispatch sends an event now or buffers it for a resume; callers hold s.mu.
func (g *gwSession) dispatch(t string, d any) {
	g.seq++
	f := frame{Op: 0, S: g.seq, T: t, D: mustJSON(d)}
	g.buffer = append(g.buffer, f)
	if g.conn != nil {
		if err := g.conn.write(f); err != nil {
			g.conn.ws.Close()
			g.conn = nil
		}
	}
}

// drop closes the connection abruptly (no close frame): the session stays
// resumable.
func (g *gwSession) drop() {
	if g.conn != nil {
		g.conn.ws.UnderlyingConn().Close()
		g.conn = nil
	}
}

// dispatchLocked sends an event to every live session that has the intent
// (0 = no intent needed); callers hold s.mu.
func (s *Server) dispatchLocked(t string, intent int, d any) {
	for _, g := range s.sessions {
		if g.invalid || (intent != 0 && g.intents&intent == 0) {
			continue
		}
		g.dispatch(t, d)
	}
}

// DropGateway closes every gateway connection without a close frame, as a
// network failure would; clients are expected to RESUME.
func (s *Server) DropGateway() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.sessions {
		if g.conn != nil {
			g.drop()
			s.gwEvents = append(s.gwEvents, GatewayEvent{Kind: "dropped", Session: g.id})
		}
	}
	s.notify()
}

// RequestReconnect sends op 7 (Reconnect) on every live connection.
func (s *Server) RequestReconnect() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.sessions {
		if g.conn != nil {
			g.conn.write(frame{Op: 7})
		}
	}
}

// LiveSessions counts gateway sessions with an open connection.
func (s *Server) LiveSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, g := range s.sessions {
		if g.conn != nil && !g.invalid {
			n++
		}
	}
	return n
}

func (s *Server) gwEvent(e GatewayEvent) {
	s.mu.Lock()
	s.gwEvents = append(s.gwEvents, e)
	s.notify()
	s.mu.Unlock()
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gwConn{ws: ws}
	defer ws.Close()
	hello, _ := json.Marshal(map[string]int64{"heartbeat_interval": s.opts.HeartbeatInterval.Milliseconds()})
	if c.write(frame{Op: 10, D: hello}) != nil {
		return
	}
	g := s.handshake(c)
	if g == nil {
		return
	}
	for {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			s.mu.Lock()
			if g.conn == c {
				g.conn = nil
			}
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				// A client close with 1000 or 1001 ends the session for good.
				if ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway {
					g.invalid = true
				}
				s.gwEvents = append(s.gwEvents, GatewayEvent{Kind: "closed", Session: g.id, Code: ce.Code})
				s.notify()
			}
			s.mu.Unlock()
			return
		}
		var f frame
		if json.Unmarshal(msg, &f) != nil {
			continue
		}
		if f.Op == 1 {
			c.write(frame{Op: 11})
		}
	}
}

// handshake reads IDENTIFY or RESUME and answers READY or the replay plus
// RESUMED; it returns the session, or nil when the connection was closed.
func (s *Server) handshake(c *gwConn) *gwSession {
	for {
		c.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			return nil
		}
		c.ws.SetReadDeadline(time.Time{})
		var f frame
		if json.Unmarshal(msg, &f) != nil {
			c.closeWith(4002, "Error while decoding payload.")
			return nil
		}
		switch f.Op {
		case 1:
			c.write(frame{Op: 11})
		case 2:
			var id struct {
				Token   string `json:"token"`
				Intents int    `json:"intents"`
				Shard   []int  `json:"shard"`
			}
			json.Unmarshal(f.D, &id)
			if strings.TrimPrefix(id.Token, "Bot ") != s.opts.Token {
				s.gwEvent(GatewayEvent{Kind: "closed", Code: 4004})
				c.closeWith(4004, "Authentication failed.")
				return nil
			}
			if id.Intents&intentMessageContent != 0 && !s.opts.MessageContentAllowed {
				s.gwEvent(GatewayEvent{Kind: "closed", Code: 4014, Intents: id.Intents})
				c.closeWith(4014, "Disallowed intent(s).")
				return nil
			}
			s.mu.Lock()
			g := &gwSession{id: "sess-" + s.newID(), intents: id.Intents, shard: id.Shard, conn: c}
			s.sessions[g.id] = g
			g.dispatch("READY", map[string]any{
				"v": 9, "session_id": g.id, "user": s.Bot, "shard": id.Shard,
				"application": map[string]any{"id": s.AppID, "flags": 0},
				"guilds":      []map[string]any{{"id": s.GuildID, "unavailable": true}},
			})
			if id.Intents&intentGuilds != 0 {
				var chans, threads []*Channel
				for _, ch := range s.channels {
					switch {
					case ch.IsThread():
						threads = append(threads, ch)
					case ch.Type != ChannelDM:
						chans = append(chans, ch)
					}
				}
				g.dispatch("GUILD_CREATE", map[string]any{"id": s.GuildID, "name": "Study group",
					"channels": chans, "threads": threads, "members": []any{}, "roles": []any{}})
			}
			s.gwEvents = append(s.gwEvents, GatewayEvent{Kind: "identify", Session: g.id, Intents: id.Intents, Shard: id.Shard})
			s.notify()
			s.mu.Unlock()
			return g
		case 6:
			var rs struct {
				SessionID string `json:"session_id"`
				Seq       int64  `json:"seq"`
			}
			json.Unmarshal(f.D, &rs)
			s.mu.Lock()
			g := s.sessions[rs.SessionID]
			if g == nil || g.invalid || g.conn != nil || rs.Seq > g.seq {
				s.gwEvents = append(s.gwEvents, GatewayEvent{Kind: "invalid", Session: rs.SessionID})
				s.notify()
				s.mu.Unlock()
				c.write(frame{Op: 9, D: json.RawMessage("false")})
				continue // the client identifies again on this socket
			}
			for _, old := range g.buffer {
				if old.S > rs.Seq {
					c.write(old)
				}
			}
			g.conn = c
			g.dispatch("RESUMED", map[string]any{})
			s.gwEvents = append(s.gwEvents, GatewayEvent{Kind: "resume", Session: g.id, Intents: g.intents})
			s.notify()
			s.mu.Unlock()
			return g
		default:
			c.closeWith(4003, "Not authenticated.")
			return nil
		}
	}
}
