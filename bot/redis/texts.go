package redis

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/mlsdbot/mlsd/bot"
)

// A session's answer texts are most of its size and an answer changes one
// of them, so they are stored as hash fields of their own beside the JSON
// document ("a3" for step 3, "w1" for the second wrap-up question), and
// a save sends only the texts that differ from the version it replaces
// (see save.lua). A session saved before texts moved out keeps them in its
// document and has no "tx" field; it is read as it was, and its next save
// sends every text.

func answerField(i int) string { return "a" + strconv.Itoa(i) }
func wrapField(i int) string   { return "w" + strconv.Itoa(i) }

// splitTexts returns ses without its texts (the document to encode) and
// the text fields to write: those that differ from prev, or every
// non-empty one when prev is nil.
func splitTexts(ses bot.Session, prev *bot.Session) (bot.Session, []any) {
	var fields []any
	for i := range ses.Answers {
		if t := ses.Answers[i].Text; (prev == nil && t != "") || (prev != nil && t != prev.Answers[i].Text) {
			fields = append(fields, answerField(i), t)
		}
		ses.Answers[i].Text = ""
	}
	for i := range ses.Wrap {
		if t := ses.Wrap[i].Text; (prev == nil && t != "") || (prev != nil && t != prev.Wrap[i].Text) {
			fields = append(fields, wrapField(i), t)
		}
		ses.Wrap[i].Text = ""
	}
	return ses, fields
}

// changedTextsBase is the session a change's texts can be diffed against:
// its Previous, when that is exactly the version it replaces and the
// session stays in the same hash (active to active).
func changedTextsBase(ch bot.Change) *bot.Session {
	p := ch.Previous
	if p == nil || ch.Expected == 0 || p.ID != ch.Session.ID || p.Version != ch.Expected ||
		p.Status != bot.Active || ch.Session.Status != bot.Active {
		return nil
	}
	return p
}

// decodeStored rebuilds a session from its hash's fields: the document,
// then each text field present over the document's own (empty) text.
func decodeStored(fields map[string]string) (bot.Session, error) {
	var ses bot.Session
	if err := json.Unmarshal([]byte(fields["doc"]), &ses); err != nil {
		return bot.Session{}, fmt.Errorf("redis: corrupt session document: %w", err)
	}
	if fields["tx"] != "1" {
		return ses, nil
	}
	for i := range ses.Answers {
		ses.Answers[i].Text = fields[answerField(i)]
	}
	for i := range ses.Wrap {
		ses.Wrap[i].Text = fields[wrapField(i)]
	}
	return ses, nil
}

func boolFlag(v bool) string {
	if v {
		return "1"
	}
	return "0"
}
