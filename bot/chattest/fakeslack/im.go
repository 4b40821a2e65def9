package fakeslack

import (
	"encoding/json"
	"fmt"
)

// openIMLocked is conversations.open with users=ONE_USER: the direct
// message channel between the bot and that user, made on first use.
func (s *Server) openIMLocked(req *request) apiResult {
	user := req.param("users")
	if _, ok := s.users[user]; !ok || user == "" {
		return errResult("user_not_found")
	}
	id := "D" + user
	if _, ok := s.channels[id]; !ok {
		s.channels[id] = &Channel{ID: id, Name: id, IM: true, Member: true}
	}
	return okResult(map[string]any{"channel": map[string]any{"id": id, "is_im": true, "user": user}})
}

// ClickHome returns the block_actions payload of user clicking the button
// labelled label on their published Home tab: a view container, no channel.
func (s *Server) ClickHome(user, label string) (Envelope, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, ok := s.home[user]
	if !ok {
		return Envelope{}, fmt.Errorf("no Home tab published for %s", user)
	}
	var view struct {
		Blocks json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &view); err != nil {
		return Envelope{}, err
	}
	if btn, ok, err := findButton(view.Blocks, label); err != nil {
		return Envelope{}, err
	} else if ok {
		trig, _ := s.triggerLocked(user, "")
		return s.envelopeLocked("interactive", map[string]any{
			"type": "block_actions", "user": s.userRefLocked(user), "api_app_id": s.opts.AppID,
			"token": "fake-verification-token", "trigger_id": trig,
			"container": map[string]any{"type": "view", "view_id": "VHOME" + user},
			"team":      map[string]any{"id": s.opts.TeamID, "domain": s.opts.TeamName},
			"view":      map[string]any{"id": "VHOME" + user, "type": "home"},
			"actions":   btn.actionJSON(),
			"state":     map[string]any{"values": map[string]any{}},
		}), nil
	}
	return Envelope{}, fmt.Errorf("the Home tab of %s has no button %q", user, label)
}
