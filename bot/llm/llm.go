// Package llm is the AI judge over any OpenAI-compatible chat-completions
// endpoint (OpenAI, Azure's compatible endpoint, OpenRouter, Ollama, vLLM,
// llama.cpp's server). It is the only importer of openai-go. It asks for a
// structured verdict and returns it unchecked: bot.Verify checks every
// quote against the answer before anything reaches a score.
package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/mlsdbot/mlsd/bot"
)

// Options configure a Judge.
type Options struct {
	BaseURL string // e.g. https://api.openai.com/v1, http://localhost:11434/v1
	APIKey  string // optional for local servers; never logged
	Model   string
	// Retries is how many times a 429, a 5xx or a network error is retried
	// within the caller's deadline (default 1; negative means none).
	Retries int
	// MaxTokens caps the reply (default 1500).
	MaxTokens  int
	HTTPClient *http.Client
	Now        func() time.Time
}

// Judge implements bot.Judge. It is safe for concurrent use.
type Judge struct {
	client    openai.Client
	model     string
	retries   int
	maxTokens int
	now       func() time.Time

	mu sync.Mutex
	// quietUntil: after the endpoint said "retry after", every call fails
	// fast until then, so a busy workspace cannot make a retry storm.
	quietUntil time.Time
}

var _ bot.Judge = (*Judge)(nil)

// New returns a Judge for the endpoint.
func New(o Options) (*Judge, error) {
	if o.BaseURL == "" || o.Model == "" {
		return nil, errors.New("llm: a base URL and a model are required")
	}
	opts := []option.RequestOption{option.WithBaseURL(o.BaseURL), option.WithMaxRetries(0)}
	// openai-go reads OPENAI_API_KEY from the environment when no key is
	// given; a local server needs none, so send an explicit placeholder
	// rather than someone else's key.
	key := o.APIKey
	if key == "" {
		key = "none"
	}
	opts = append(opts, option.WithAPIKey(key))
	if o.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(o.HTTPClient))
	}
	j := &Judge{client: openai.NewClient(opts...), model: o.Model, retries: o.Retries, maxTokens: o.MaxTokens, now: o.Now}
	if j.retries == 0 {
		j.retries = 1
	}
	if j.maxTokens <= 0 {
		j.maxTokens = 1500
	}
	if j.now == nil {
		j.now = time.Now
	}
	return j, nil
}

// Judge asks the model for a verdict on req.Answer.
func (j *Judge) Judge(ctx context.Context, req bot.JudgeRequest) (bot.JudgeVerdict, error) {
	system, err := systemMessage(&req)
	if err != nil {
		return bot.JudgeVerdict{}, err
	}
	params := openai.ChatCompletionNewParams{
		Model: shared.ChatModel(j.model),
		// The answer is the last message, alone and verbatim: data to
		// judge, never part of the instructions.
		Messages:            []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(system), openai.UserMessage(req.Answer)},
		Temperature:         openai.Float(0),
		MaxCompletionTokens: openai.Int(int64(j.maxTokens)),
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "mlsd_verdict", Schema: verdictSchema, Strict: openai.Bool(true)},
		}},
	}
	resp, err := j.complete(ctx, params)
	if err != nil {
		return bot.JudgeVerdict{}, err
	}
	tokens := int(resp.Usage.TotalTokens)
	if tokens == 0 {
		tokens = int(resp.Usage.PromptTokens + resp.Usage.CompletionTokens)
	}
	v, err := parseVerdict(resp)
	v.Tokens = tokens
	return v, err
}

// Ping makes one tiny call, for `mlsd config check`.
func (j *Judge) Ping(ctx context.Context) error {
	_, err := j.complete(ctx, openai.ChatCompletionNewParams{
		Model:               shared.ChatModel(j.model),
		Messages:            []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Reply with the word OK.")},
		MaxCompletionTokens: openai.Int(5),
	})
	return err
}

// complete makes the call, retrying 429s, 5xx and network errors at most
// j.retries times, and only when the wait fits the caller's deadline.
func (j *Judge) complete(ctx context.Context, params openai.ChatCompletionNewParams) (*openai.ChatCompletion, error) {
	for attempt := 0; ; attempt++ {
		if wait := j.quiet(); wait > 0 {
			return nil, &bot.JudgeError{Reason: bot.JudgeRateLimited, RetryAfter: wait, Err: errors.New("the endpoint asked to wait")}
		}
		resp, err := j.client.Chat.Completions.New(ctx, params)
		if err == nil {
			return resp, nil
		}
		jerr := j.classify(ctx, err)
		if jerr.Reason == bot.JudgeTimeout || jerr.Reason == bot.JudgeBadOutput || attempt >= j.retries || !retryable(err) {
			return nil, jerr
		}
		wait := jerr.RetryAfter
		if wait <= 0 {
			wait = time.Duration(250<<attempt) * time.Millisecond
		}
		if deadline, ok := ctx.Deadline(); ok && j.now().Add(wait).After(deadline) {
			return nil, jerr
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &bot.JudgeError{Reason: bot.JudgeTimeout, Err: ctx.Err()}
		case <-t.C:
		}
	}
}

func (j *Judge) quiet() time.Duration {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.quietUntil.Sub(j.now())
}

// classify turns a client error into a bot.JudgeError, and remembers a
// Retry-After for every later call.
func (j *Judge) classify(ctx context.Context, err error) *bot.JudgeError {
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return &bot.JudgeError{Reason: bot.JudgeTimeout, Err: err}
	}
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		return &bot.JudgeError{Reason: bot.JudgeUnavailable, Err: err}
	}
	// The error's text may quote the request; keep the status and message only.
	clean := fmt.Errorf("HTTP %d: %s", apiErr.StatusCode, clip(apiErr.Message, 200))
	reason := bot.JudgeUnavailable
	if apiErr.StatusCode == http.StatusTooManyRequests {
		reason = bot.JudgeRateLimited
	}
	wait := retryAfter(apiErr.Response, j.now())
	if wait > 0 {
		j.mu.Lock()
		if until := j.now().Add(wait); until.After(j.quietUntil) {
			j.quietUntil = until
		}
		j.mu.Unlock()
	}
	return &bot.JudgeError{Reason: reason, RetryAfter: wait, Err: clean}
}

func retryable(err error) bool {
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		return true // network trouble
	}
	return apiErr.StatusCode == http.StatusTooManyRequests || apiErr.StatusCode >= 500
}

// retryAfter reads Retry-After (seconds or an HTTP date) or OpenAI's
// retry-after-ms.
func retryAfter(resp *http.Response, now time.Time) time.Duration {
	if resp == nil {
		return 0
	}
	if ms, err := strconv.ParseFloat(resp.Header.Get("Retry-After-Ms"), 64); err == nil && ms > 0 {
		return time.Duration(ms * float64(time.Millisecond))
	}
	v := resp.Header.Get("Retry-After")
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now))
	}
	return 0
}

// parseVerdict reads the reply's JSON; anything else is bad output.
func parseVerdict(resp *openai.ChatCompletion) (bot.JudgeVerdict, error) {
	bad := func(why string) (bot.JudgeVerdict, error) {
		return bot.JudgeVerdict{}, &bot.JudgeError{Reason: bot.JudgeBadOutput, Err: errors.New(why)}
	}
	if len(resp.Choices) == 0 {
		return bad("no choices")
	}
	c := resp.Choices[0]
	if c.FinishReason == "length" {
		return bad("the reply was cut off at the token limit")
	}
	if c.Message.Refusal != "" {
		return bad("the model refused")
	}
	content := strings.TrimSpace(c.Message.Content)
	// Local servers that honour the schema loosely wrap it in a fence.
	if strings.HasPrefix(content, "```") {
		content = strings.TrimPrefix(strings.TrimPrefix(content, "```json"), "```")
		content = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(content), "```"))
	}
	var raw struct {
		Credits         *[]bot.JudgedCredit `json:"credits"`
		Flags           *[]bot.JudgedFlag   `json:"flags"`
		FollowUp        string              `json:"follow_up"`
		FollowUpConcept string              `json:"follow_up_concept"`
		Summary         string              `json:"summary"`
	}
	if err := json.Unmarshal([]byte(content), &raw); err != nil {
		return bad("not JSON: " + err.Error())
	}
	if raw.Credits == nil || raw.Flags == nil {
		return bad("credits or flags missing")
	}
	return bot.JudgeVerdict{Credits: *raw.Credits, Flags: *raw.Flags, FollowUp: raw.FollowUp, FollowUpConcept: raw.FollowUpConcept, Summary: raw.Summary}, nil
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
