package fakeslack

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSignMatchesSlackDocs checks the signing against the worked example
// in Slack's "Verifying requests from Slack" guide.
func TestSignMatchesSlackDocs(t *testing.T) {
	body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	got := Sign("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, []byte(body))
	want := "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func call(t *testing.T, s *Server, method, token string, form url.Values) map[string]any {
	t.Helper()
	form.Set("token", token)
	req, _ := http.NewRequest(http.MethodPost, s.APIURL()+method, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v (%s)", method, err, b)
	}
	return out
}

// TestWebAPIBehaviour pins the Slack behaviours adapters rely on.
func TestWebAPIBehaviour(t *testing.T) {
	s := New(Options{})
	s.AddChannel(Channel{ID: "C1", Name: "general"})
	s.AddChannel(Channel{ID: "G1", Name: "secret", Private: true})
	tok := s.Options().BotToken
	post := func(ch, text, thread string) map[string]any {
		return call(t, s, "chat.postMessage", tok, url.Values{"channel": {ch}, "text": {text}, "thread_ts": {thread}})
	}
	tests := []struct {
		name string
		got  map[string]any
		want string // error code, "" for ok
	}{
		{"wrong token", call(t, s, "auth.test", "xoxb-nope", url.Values{}), "invalid_auth"},
		{"app token on a bot method", call(t, s, "auth.test", s.Options().AppToken, url.Values{}), "invalid_auth"},
		{"not a member", post("C1", "hi", ""), "not_in_channel"},
		{"private, not invited", post("G1", "hi", ""), "channel_not_found"},
		{"join private", call(t, s, "conversations.join", tok, url.Values{"channel": {"G1"}}), "channel_not_found"},
		{"join public", call(t, s, "conversations.join", tok, url.Values{"channel": {"C1"}}), ""},
		{"post after join", post("C1", "hi", ""), ""},
		{"unknown thread", post("C1", "reply", "1.2"), "thread_not_found"},
	}
	for _, tc := range tests {
		code, _ := tc.got["error"].(string)
		if ok, _ := tc.got["ok"].(bool); ok != (tc.want == "") || code != tc.want {
			t.Errorf("%s: got %v, want error %q", tc.name, tc.got, tc.want)
		}
	}
	s.Fail("chat.postMessage", "C1", Failure{Error: "missing_scope", Needed: "chat:write"})
	if got := post("C1", "x", ""); got["error"] != "missing_scope" || got["needed"] != "chat:write" {
		t.Errorf("missing_scope = %v", got)
	}
	s.SetScopes("chat:write")
	if got := call(t, s, "users.info", tok, url.Values{"user": {"U0BOT"}}); got["needed"] != "users:read" {
		t.Errorf("users.info without users:read = %v", got)
	}
	// Timestamps are unique and increasing, so threads never collide.
	a, b := post("C1", "one", ""), post("C1", "two", "")
	if !(a["ts"].(string) < b["ts"].(string)) {
		t.Errorf("ts %v then %v", a["ts"], b["ts"])
	}
}

func TestTriggersExpire(t *testing.T) {
	s := New(Options{TriggerTTL: time.Nanosecond})
	env := s.SlashCommand("U1", "C1", "start")
	var p map[string]string
	_ = json.Unmarshal(env.Payload, &p)
	body, _ := json.Marshal(map[string]any{"trigger_id": p["trigger_id"], "view": map[string]any{"type": "modal", "title": map[string]any{"type": "plain_text", "text": "x"}, "blocks": []any{}}})
	req, _ := http.NewRequest(http.MethodPost, s.APIURL()+"views.open", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.Options().BotToken)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if out["error"] != "expired_trigger_id" {
		t.Errorf("views.open with an old trigger = %v", out)
	}
}

func TestValidateBlocks(t *testing.T) {
	long := strings.Repeat("x", 3001)
	tests := map[string]string{
		"ok":             `[{"type":"section","text":{"type":"mrkdwn","text":"hi"}}]`,
		"long section":   `[{"type":"section","text":{"type":"mrkdwn","text":"` + long + `"}}]`,
		"empty section":  `[{"type":"section"}]`,
		"duplicate id":   `[{"type":"divider","block_id":"a"},{"type":"divider","block_id":"a"}]`,
		"unknown type":   `[{"type":"carousel"}]`,
		"mrkdwn header":  `[{"type":"header","text":{"type":"mrkdwn","text":"x"}}]`,
		"same action id": `[{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"a"},"action_id":"x"},{"type":"button","text":{"type":"plain_text","text":"b"},"action_id":"x"}]}]`,
	}
	for name, raw := range tests {
		err := ValidateBlocks(json.RawMessage(raw), 50)
		if (err == nil) != (name == "ok") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	many := "[" + strings.TrimSuffix(strings.Repeat(`{"type":"divider"},`, 51), ",") + "]"
	if ValidateBlocks(json.RawMessage(many), 50) == nil {
		t.Error("51 blocks accepted")
	}
}

// TestHistoryWithMetadata pins conversations.history and .replies as the
// adapters use them: root messages newest first, replies after their
// parent, oldest/inclusive by ts, metadata only with include_all_metadata,
// cursor paging, and chat.postMessage's metadata validated.
func TestHistoryWithMetadata(t *testing.T) {
	clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := New(Options{Now: func() time.Time { return clock }})
	s.AddChannel(Channel{ID: "C1", Name: "general", Member: true})
	tok := s.Options().BotToken
	post := func(text, thread, meta string) string {
		t.Helper()
		res := call(t, s, "chat.postMessage", tok, url.Values{"channel": {"C1"}, "text": {text}, "thread_ts": {thread}, "metadata": {meta}})
		if res["ok"] != true {
			t.Fatalf("chat.postMessage(%q) = %v", text, res)
		}
		return res["ts"].(string)
	}
	before := post("before", "", "")
	clock = clock.Add(time.Minute)
	root := post("root", "", `{"event_type":"mlsd_post","event_payload":{"key":"k#0"}}`)
	if before >= root || !strings.HasPrefix(root, "1772442060.") {
		t.Fatalf("ts %s then %s: want increasing ts from the clock", before, root)
	}
	post("reply", root, `{"event_type":"mlsd_post","event_payload":{"key":"k#1"}}`)
	later := post("later", "", "")
	texts := func(res map[string]any) []string {
		var out []string
		msgs, _ := res["messages"].([]any)
		for _, m := range msgs {
			mm := m.(map[string]any)
			s := mm["text"].(string)
			if md, ok := mm["metadata"].(map[string]any); ok {
				s += "+" + md["event_payload"].(map[string]any)["key"].(string)
			}
			out = append(out, s)
		}
		return out
	}
	for _, tc := range []struct {
		method string
		form   url.Values
		want   string
	}{
		{"conversations.history", url.Values{}, "later root before"},
		{"conversations.history", url.Values{"oldest": {root}}, "later"},
		{"conversations.history", url.Values{"oldest": {root}, "inclusive": {"1"}, "include_all_metadata": {"1"}}, "later root+k#0"},
		{"conversations.history", url.Values{"limit": {"2"}}, "later root"},
		{"conversations.history", url.Values{"limit": {"2"}, "cursor": {"2"}}, "before"},
		{"conversations.replies", url.Values{"ts": {root}, "include_all_metadata": {"1"}}, "root+k#0 reply+k#1"},
		{"conversations.replies", url.Values{"ts": {root}, "oldest": {later}}, "root"},
	} {
		tc.form.Set("channel", "C1")
		res := call(t, s, tc.method, tok, tc.form)
		if got := strings.Join(texts(res), " "); res["ok"] != true || got != tc.want {
			t.Errorf("%s(%v) = %q (%v), want %q", tc.method, tc.form, got, res["error"], tc.want)
		}
	}
	if res := call(t, s, "conversations.history", tok, url.Values{"channel": {"C1"}, "limit": {"2"}}); res["has_more"] != true {
		t.Errorf("history with more than the limit: has_more = %v", res["has_more"])
	}
	for meta, code := range map[string]string{`{"event_type":`: "invalid_metadata_format", `{"event_payload":{}}`: "invalid_metadata_schema"} {
		res := call(t, s, "chat.postMessage", tok, url.Values{"channel": {"C1"}, "text": {"x"}, "metadata": {meta}})
		if res["error"] != code {
			t.Errorf("chat.postMessage(metadata %s) = %v, want %s", meta, res, code)
		}
	}
	s.AddChannel(Channel{ID: "C2", Name: "elsewhere"})
	if res := call(t, s, "conversations.history", tok, url.Values{"channel": {"C2"}}); res["error"] != "not_in_channel" {
		t.Errorf("history of a channel the bot is not in = %v, want not_in_channel", res)
	}
}
