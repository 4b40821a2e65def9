package fakeslack

import (
	"encoding/json"
	"fmt"
)

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
