package fakeslack

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSendHTTPRetriesLikeSlack: an event the app does not answer 2xx is
// sent again with X-Slack-Retry-Num and X-Slack-Retry-Reason, at most
// three times; slash commands are never retried; X-Slack-No-Retry stops
// the retries.
func TestSendHTTPRetriesLikeSlack(t *testing.T) {
	for _, tc := range []struct {
		name     string
		failures int  // answers before the app says 200
		noRetry  bool // the failures carry X-Slack-No-Retry: 1
		slash    bool
		want     []string // retry num/reason per request
		acked    bool
	}{
		{"answered at once", 0, false, false, []string{"0/"}, true},
		{"two failures", 2, false, false, []string{"0/", "1/http_error", "2/http_error"}, true},
		{"given up after three retries", 9, false, false, []string{"0/", "1/http_error", "2/http_error", "3/http_error"}, false},
		{"no retry asked", 9, true, false, []string{"0/"}, false},
		{"slash commands are not retried", 9, false, true, []string{"0/"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Start(t, Options{HTTPRetryDelays: []time.Duration{0, time.Millisecond, time.Millisecond}})
			var mu sync.Mutex
			var got []string
			app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, r.Header.Get("X-Slack-Retry-Num")+"/"+r.Header.Get("X-Slack-Retry-Reason"))
				if len(got) <= tc.failures {
					if tc.noRetry {
						w.Header().Set("X-Slack-No-Retry", "1")
					}
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			}))
			defer app.Close()
			env := s.BotMessage("B1", "C1", "", "hello")
			if tc.slash {
				env = s.SlashCommand("U1", "C1", "help")
			}
			s.SendHTTP(&AppClient{BaseURL: app.URL, Secret: "x"}, env)
			s.Wait(t, "the delivery to end", func(sn *Snapshot) bool { return sn.Acked(env.ID) || sn.Dropped(env.ID) })
			mu.Lock()
			defer mu.Unlock()
			for i := range got {
				if got[i] == "/" {
					got[i] = "0/"
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("requests %q, want %q", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("requests %q, want %q", got, tc.want)
				}
			}
			if _, acked := s.Ack(env.ID); acked != tc.acked {
				t.Errorf("acked = %v, want %v", acked, tc.acked)
			}
			if n := len(s.HTTPAttempts()); n != len(tc.want) {
				t.Errorf("%d attempts recorded, want %d", n, len(tc.want))
			}
		})
	}
	t.Run("refused connection, then a timeout", func(t *testing.T) {
		s := Start(t, Options{HTTPTimeout: 200 * time.Millisecond, HTTPRetryDelays: []time.Duration{0, 0, 0}})
		release := make(chan struct{})
		var mu sync.Mutex
		calls := 0
		app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls++
			n := calls
			mu.Unlock()
			if n == 1 {
				<-release // never answers in time
			}
		}))
		defer app.Close()
		defer close(release)
		env := s.BotMessage("B1", "C1", "", "hello")
		s.SendHTTP(&AppClient{BaseURL: app.URL, Secret: "x", HTTP: &http.Client{Transport: &refuseFirst{next: http.DefaultTransport}}}, env)
		s.WaitAck(t, env.ID)
		var reasons []string
		for _, a := range s.HTTPAttempts() {
			reasons = append(reasons, strconv.Itoa(a.RetryNum)+":"+a.Reason)
		}
		if len(reasons) != 3 || reasons[0] != "0:connection_failed" || reasons[1] != "1:http_timeout" || reasons[2] != "2:" {
			t.Fatalf("attempts %q, want 0:connection_failed, 1:http_timeout, 2: (answered)", reasons)
		}
	})
}

// refuseFirst fails its first request as a refused connection does.
type refuseFirst struct {
	next    http.RoundTripper
	mu      sync.Mutex
	refused bool
}

func (r *refuseFirst) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	first := !r.refused
	r.refused = true
	r.mu.Unlock()
	if first {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return r.next.RoundTrip(req)
}
