package fakeslack

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// AppClient delivers envelopes to an HTTP-mode app the way Slack does:
// events as JSON, slash commands as a form, interactions as a form field
// "payload", each signed with the signing secret.
type AppClient struct {
	BaseURL string // the app's server, e.g. an httptest.Server URL
	Secret  string
	HTTP    *http.Client // default http.DefaultClient
	// Paths default to /slack/events, /slack/commands, /slack/interactive.
	EventsPath, CommandsPath, InteractivePath string
}

// Signing selects how a request is signed.
type Signing struct {
	At        time.Time // timestamp to sign with; zero means now
	Missing   bool      // send no signature headers
	BadSecret bool      // sign with the wrong secret
	RetryNum  int       // X-Slack-Retry-Num, when > 0
	// RetryReason is X-Slack-Retry-Reason with RetryNum (default
	// "http_timeout").
	RetryReason string
}

// Sign computes Slack's v0 signature of body at timestamp ts.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%d:", ts)
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// Response is what the app answered.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Deliver sends env, signed as sig says, and returns the app's answer.
func (c *AppClient) Deliver(env Envelope, sig Signing) (Response, error) {
	path, body, ctype, err := c.encode(env)
	if err != nil {
		return Response{}, err
	}
	req, err := http.NewRequest(http.MethodPost, c.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return Response{}, err
	}
	req.Header.Set("Content-Type", ctype)
	if !sig.Missing {
		at := sig.At
		if at.IsZero() {
			at = time.Now()
		}
		secret := c.Secret
		if sig.BadSecret {
			secret += "-wrong"
		}
		req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(at.Unix(), 10))
		req.Header.Set("X-Slack-Signature", Sign(secret, at.Unix(), body))
	}
	if sig.RetryNum > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(sig.RetryNum))
		req.Header.Set("X-Slack-Retry-Reason", or(sig.RetryReason, "http_timeout"))
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, err
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func (c *AppClient) encode(env Envelope) (path string, body []byte, ctype string, err error) {
	switch env.Type {
	case "events_api":
		return or(c.EventsPath, "/slack/events"), env.Payload, "application/json", nil
	case "slash_commands":
		var fields map[string]string
		if err := json.Unmarshal(env.Payload, &fields); err != nil {
			return "", nil, "", err
		}
		form := url.Values{}
		for k, v := range fields {
			form.Set(k, v)
		}
		return or(c.CommandsPath, "/slack/commands"), []byte(form.Encode()), "application/x-www-form-urlencoded", nil
	case "interactive":
		form := url.Values{"payload": {string(env.Payload)}}
		return or(c.InteractivePath, "/slack/interactive"), []byte(form.Encode()), "application/x-www-form-urlencoded", nil
	}
	return "", nil, "", fmt.Errorf("fakeslack: cannot deliver envelope type %q over HTTP", env.Type)
}
