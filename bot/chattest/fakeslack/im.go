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
		Blocks []struct {
			Type     string          `json:"type"`
			BlockID  string          `json:"block_id"`
			Elements json.RawMessage `json:"elements"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &view); err != nil {
		return Envelope{}, err
	}
	for _, b := range view.Blocks {
		if b.Type != "actions" {
			continue
		}
		var elems []struct {
			Type     string   `json:"type"`
			Text     *textObj `json:"text"`
			ActionID string   `json:"action_id"`
			Value    string   `json:"value"`
		}
		if err := json.Unmarshal(b.Elements, &elems); err != nil {
			return Envelope{}, err
		}
		for _, e := range elems {
			if e.Type != "button" || e.Text == nil || e.Text.Text != label {
				continue
			}
			trig, _ := s.triggerLocked(user, "")
			return s.envelopeLocked("interactive", map[string]any{
				"type": "block_actions", "user": s.userRefLocked(user), "api_app_id": s.opts.AppID,
				"token": "fake-verification-token", "trigger_id": trig,
				"container": map[string]any{"type": "view", "view_id": "VHOME" + user},
				"team":      map[string]any{"id": s.opts.TeamID, "domain": s.opts.TeamName},
				"view":      map[string]any{"id": "VHOME" + user, "type": "home"},
				"actions": []map[string]any{{"action_id": e.ActionID, "block_id": b.BlockID,
					"text":  map[string]any{"type": "plain_text", "text": e.Text.Text, "emoji": true},
					"value": e.Value, "type": "button", "action_ts": "1700000000.000001"}},
				"state": map[string]any{"values": map[string]any{}},
			}), nil
		}
	}
	return Envelope{}, fmt.Errorf("the Home tab of %s has no button %q", user, label)
}
