package fakeslack

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Block Kit limits enforced by the fake, from Slack's reference. Slack
// rejects a whole message with invalid_blocks when one is exceeded, so
// the fake does the same and adapters find out in tests.
const (
	maxSectionText   = 3000
	maxFields        = 10
	maxFieldText     = 2000
	maxHeaderText    = 150
	maxActions       = 25
	maxButtonText    = 75
	maxButtonValue   = 2000
	maxActionID      = 255
	maxContextElems  = 10
	maxModalTitle    = 24
	maxPrivateMeta   = 3000
	maxInputLabel    = 2000
	maxInputLength   = 3000
	maxModalBlocks   = 100
	maxBlockIDLength = 255
)

type textObj struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type element struct {
	Type      string   `json:"type"`
	Text      *textObj `json:"text"`
	ActionID  string   `json:"action_id"`
	Value     string   `json:"value"`
	Multiline bool     `json:"multiline"`
	MaxLength int      `json:"max_length"`
}

type block struct {
	Type     string          `json:"type"`
	BlockID  string          `json:"block_id"`
	Text     *textObj        `json:"text"`
	Fields   []textObj       `json:"fields"`
	Elements json.RawMessage `json:"elements"`
	Element  *element        `json:"element"`
	Label    *textObj        `json:"label"`
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// ValidateBlocks checks a JSON array of blocks against Slack's limits.
func ValidateBlocks(raw json.RawMessage, maxBlocks int) error {
	var blocks []block
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return fmt.Errorf("blocks: %w", err)
	}
	if len(blocks) > maxBlocks {
		return fmt.Errorf("%d blocks, limit %d", len(blocks), maxBlocks)
	}
	seen := map[string]bool{}
	for i, b := range blocks {
		if b.BlockID != "" {
			if seen[b.BlockID] {
				return fmt.Errorf("block %d: duplicate block_id %q", i, b.BlockID)
			}
			seen[b.BlockID] = true
			if len(b.BlockID) > maxBlockIDLength {
				return fmt.Errorf("block %d: block_id too long", i)
			}
		}
		if err := validateBlock(b); err != nil {
			return fmt.Errorf("block %d (%s): %w", i, b.Type, err)
		}
	}
	return nil
}

func validateBlock(b block) error {
	switch b.Type {
	case "section":
		if b.Text == nil && len(b.Fields) == 0 {
			return errors.New("section needs text or fields")
		}
		if b.Text != nil && (runes(b.Text.Text) > maxSectionText || b.Text.Text == "") {
			return fmt.Errorf("text length %d outside 1..%d", runes(b.Text.Text), maxSectionText)
		}
		if len(b.Fields) > maxFields {
			return fmt.Errorf("%d fields", len(b.Fields))
		}
		for _, f := range b.Fields {
			if runes(f.Text) > maxFieldText || f.Text == "" {
				return fmt.Errorf("field length %d", runes(f.Text))
			}
		}
	case "header":
		if b.Text == nil || b.Text.Type != "plain_text" || runes(b.Text.Text) > maxHeaderText || b.Text.Text == "" {
			return errors.New("header needs plain_text of 1..150 characters")
		}
	case "divider":
	case "context":
		var elems []textObj
		if err := json.Unmarshal(b.Elements, &elems); err != nil {
			return err
		}
		if len(elems) == 0 || len(elems) > maxContextElems {
			return fmt.Errorf("%d context elements", len(elems))
		}
		for _, e := range elems {
			if e.Text == "" || runes(e.Text) > maxSectionText {
				return errors.New("context text empty or too long")
			}
		}
	case "actions":
		var elems []element
		if err := json.Unmarshal(b.Elements, &elems); err != nil {
			return err
		}
		if len(elems) == 0 || len(elems) > maxActions {
			return fmt.Errorf("%d actions", len(elems))
		}
		ids := map[string]bool{}
		for _, e := range elems {
			if e.Type != "button" {
				continue
			}
			if e.Text == nil || e.Text.Text == "" || runes(e.Text.Text) > maxButtonText {
				return errors.New("button text empty or too long")
			}
			if runes(e.Value) > maxButtonValue || e.ActionID == "" || len(e.ActionID) > maxActionID || ids[e.ActionID] {
				return fmt.Errorf("button %q: bad value or action_id", e.Text.Text)
			}
			ids[e.ActionID] = true
		}
	case "input":
		if b.Label == nil || b.Label.Text == "" || runes(b.Label.Text) > maxInputLabel {
			return errors.New("input label empty or too long")
		}
		if b.Element == nil || b.Element.ActionID == "" {
			return errors.New("input needs an element with an action_id")
		}
		if b.Element.MaxLength > maxInputLength {
			return fmt.Errorf("max_length %d", b.Element.MaxLength)
		}
	default:
		return fmt.Errorf("block type %q not modelled by the fake", b.Type)
	}
	return nil
}

// ValidateModal checks a modal view object.
func ValidateModal(raw json.RawMessage) error {
	var v struct {
		Type            string          `json:"type"`
		Title           *textObj        `json:"title"`
		Submit          *textObj        `json:"submit"`
		Close           *textObj        `json:"close"`
		CallbackID      string          `json:"callback_id"`
		PrivateMetadata string          `json:"private_metadata"`
		Blocks          json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	if v.Type != "modal" {
		return fmt.Errorf("view type %q", v.Type)
	}
	for _, t := range []*textObj{v.Title, v.Submit, v.Close} {
		if t != nil && (t.Type != "plain_text" || runes(t.Text) > maxModalTitle) {
			return fmt.Errorf("modal title/submit/close %q", t.Text)
		}
	}
	if v.Title == nil {
		return errors.New("modal needs a title")
	}
	if len(v.PrivateMetadata) > maxPrivateMeta || len(v.CallbackID) > maxActionID {
		return errors.New("private_metadata or callback_id too long")
	}
	return ValidateBlocks(v.Blocks, maxModalBlocks)
}
