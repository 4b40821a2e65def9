// Package llmtest is a fake OpenAI-compatible chat-completions server
// for tests: the real bot/llm client talks to it over HTTP, and each test
// scripts what the "model" answers, including failures.
package llmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/mlsdbot/mlsd/bot"
)

// Request is one chat-completions call as the server saw it.
type Request struct {
	Model    string
	System   string // the system message
	Answer   string // the last user message
	Messages int
	Concepts []bot.JudgeConcept
	RedFlags []bot.JudgeFlag
	// Auth is the Authorization header, to check keys reach the endpoint.
	Auth string
}

// Reply is what the fake answers one call with.
type Reply struct {
	Status     int    // HTTP status; 0 means 200
	RetryAfter string // Retry-After header, if set
	// Hang keeps the request open until the client gives up (a timeout).
	Hang bool
	// Verdict is marshalled as the message content; Content, when set, is
	// sent instead, verbatim (bad output).
	Verdict *bot.JudgeVerdict
	Content string
	Tokens  int // usage.total_tokens; 0 means 100
}

// Server is the fake endpoint. URL + "/v1" is the base URL to configure.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	respond  func(Request) Reply
	requests []Request
}

// New starts a fake whose replies come from respond; it stops with the test.
func New(t testing.TB, respond func(Request) Reply) *Server {
	s := &Server{respond: respond}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// BaseURL is the value for MLSD_LLM_URL.
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// Calls returns the requests received so far.
func (s *Server) Calls() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// SetResponder replaces how the fake answers.
func (s *Server) SetResponder(respond func(Request) Reply) {
	s.mu.Lock()
	s.respond = respond
	s.mu.Unlock()
}

type chatRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
		return
	}
	var body chatRequest
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Messages) == 0 {
		http.Error(w, `{"error":{"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	req := Request{Model: body.Model, Messages: len(body.Messages), Auth: r.Header.Get("Authorization")}
	for _, m := range body.Messages {
		text := contentText(m.Content)
		switch m.Role {
		case "system", "developer":
			req.System = text
		case "user":
			req.Answer = text
		}
	}
	if i := strings.Index(req.System, "## Rubric\n"); i >= 0 {
		var rb struct {
			Concepts []bot.JudgeConcept `json:"concepts"`
			RedFlags []bot.JudgeFlag    `json:"red_flags"`
		}
		if json.Unmarshal([]byte(req.System[i+len("## Rubric\n"):]), &rb) == nil {
			req.Concepts, req.RedFlags = rb.Concepts, rb.RedFlags
		}
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	respond := s.respond
	s.mu.Unlock()
	rep := respond(req)
	if rep.Hang {
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if rep.RetryAfter != "" {
		w.Header().Set("Retry-After", rep.RetryAfter)
	}
	if rep.Status != 0 && rep.Status != http.StatusOK {
		w.WriteHeader(rep.Status)
		fmt.Fprintf(w, `{"error":{"message":"fake error %d","type":"fake","code":"fake","param":""}}`, rep.Status)
		return
	}
	content := rep.Content
	if rep.Verdict != nil {
		data, _ := json.Marshal(rep.Verdict)
		content = string(data)
	}
	tokens := rep.Tokens
	if tokens == 0 {
		tokens = 100
	}
	msg, _ := json.Marshal(content)
	fmt.Fprintf(w, `{"id":"fake-1","object":"chat.completion","created":1,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}`,
		body.Model, msg, tokens-tokens/4, tokens/4, tokens)
}

// contentText reads a message content given as a string or as parts.
func contentText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &parts)
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// Generous is a stand-in model for end-to-end runs: it credits each
// concept whose label words (two or more of them, or all of a one-word
// label) appear in one sentence of the answer, quoting that sentence, and
// asks about the first concept it did not credit. It reads loosely, as a
// model reads paraphrase, and it is no measure of any real model.
func Generous(req Request) Reply {
	sentences := splitSentences(req.Answer)
	v := bot.JudgeVerdict{Credits: []bot.JudgedCredit{}, Flags: []bot.JudgedFlag{}, Summary: "A fake reading."}
	used := map[string]int{}
	for _, c := range req.Concepts {
		words := contentWords(c.Label)
		need := min(2, len(words))
		if need == 0 {
			continue
		}
		credited := false
		for _, s := range sentences {
			if len(strings.Fields(s)) < bot.MinQuoteWords || used[s] >= bot.MaxConceptsPerQuote {
				continue
			}
			have := 0
			lower := strings.ToLower(s)
			for _, w := range words {
				if strings.Contains(lower, w) {
					have++
				}
			}
			if have >= need {
				v.Credits = append(v.Credits, bot.JudgedCredit{Concept: c.ID, Quote: s, Stance: bot.StanceEndorses})
				used[s]++
				credited = true
				break
			}
		}
		if !credited && v.FollowUp == "" {
			v.FollowUp = "How would your design handle " + strings.ToLower(c.Label) + " for this case?"
			v.FollowUpConcept = c.ID
		}
	}
	return Reply{Verdict: &v}
}

func splitSentences(text string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(text, func(r rune) bool { return r == '.' || r == '!' || r == '?' || r == '\n' || r == ';' }) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// contentWords are a label's words of four letters or more, lower-cased.
func contentWords(label string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(label), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(w) >= 4 {
			out = append(out, w)
		}
	}
	return out
}
