package slack

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/chattest/fakeslack"
	"github.com/mlsdbot/mlsd/bot/dispatch"
)

// TestHTTPMode covers the Events API, slash command and interactivity
// endpoints: signatures, the url_verification handshake, an interview
// started over HTTP and an answer submitted through the form modal.
func TestHTTPMode(t *testing.T) {
	w := newWorld(t, worldOpts{httpMode: true})

	resp, err := w.http.Deliver(fakeslack.URLVerification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"), fakeslack.Signing{})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusOK || string(resp.Body) != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("url_verification answered %d %q", resp.Status, resp.Body)
	}

	start := w.fake.SlashCommand(alice, general, "start "+scenarioID)
	rejected := []struct {
		name string
		sig  fakeslack.Signing
	}{
		{"missing_signature", fakeslack.Signing{Missing: true}},
		{"bad_signature", fakeslack.Signing{BadSecret: true}},
		{"stale_timestamp", fakeslack.Signing{At: time.Now().Add(-6 * time.Minute)}},
		{"stale_timestamp", fakeslack.Signing{At: time.Now().Add(6 * time.Minute)}},
	}
	for _, tc := range rejected {
		for _, env := range []fakeslack.Envelope{start, fakeslack.URLVerification("x")} {
			resp, err := w.http.Deliver(env, tc.sig)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != http.StatusUnauthorized || len(resp.Body) != 0 {
				t.Errorf("%s %s: answered %d %q, want 401 and no body", tc.name, env.Type, resp.Status, resp.Body)
			}
		}
	}
	if got := w.obs.count("http_rejected:bad_signature") + w.obs.count("http_rejected:missing_signature") + w.obs.count("http_rejected:stale_timestamp"); got != 2*len(rejected) {
		t.Errorf("%d rejections observed, want %d", got, 2*len(rejected))
	}
	if msgs := w.fake.Messages(); len(msgs) != 0 {
		t.Fatalf("rejected requests changed something: %+v", msgs)
	}
	if _, err := w.store.ActiveSession(context.Background(), bot.UserKey{Platform: bot.Slack, Workspace: teamID, UserID: alice}); !errors.Is(err, bot.ErrNotFound) {
		t.Fatalf("a rejected /mlsd start created a session (err %v)", err)
	}

	w.act(1, start)
	var thread string
	for _, m := range w.fake.Messages() {
		if m.ThreadTS == "" && m.BotID != "" && !m.Ephemeral {
			thread = m.TS
		}
	}
	q := w.last(general, thread)
	if !strings.HasPrefix(headerOf(q), "Step 1/7") {
		t.Fatalf("no step 1 question after an HTTP start: %q", q.Text)
	}

	// A forged reply in the thread is refused and grades nothing.
	_, envs := w.fake.UserMessage(alice, general, thread, "forged answer")
	if resp, _ := w.http.Deliver(envs[0], fakeslack.Signing{BadSecret: true}); resp.Status != http.StatusUnauthorized {
		t.Errorf("forged event answered %d", resp.Status)
	}

	// The form: the click opens a modal, the submission is graded.
	w.act(1, w.click(alice, q, "Answer in a form"))
	views := w.fake.Views()
	if len(views) != 1 || views[0].User != alice {
		t.Fatalf("views opened: %+v", views)
	}
	answer := answerFor("Step 1/7")
	sub, err := w.fake.Submit(alice, views[0], answer)
	if err != nil {
		t.Fatal(err)
	}
	w.act(1, sub)
	s := w.session(general, thread)
	if s.Answers[bot.Clarify].Text != answer || s.Answers[bot.Clarify].Turns != 1 {
		t.Errorf("form submission not graded once: %+v", s.Answers[bot.Clarify])
	}
	if next := w.last(general, thread); next.TS == q.TS || !isQuestion(next) {
		t.Errorf("no new question after the form answer: %q", next.Text)
	}

	// Slack's HTTP retry of the same event (X-Slack-Retry-Num) is graded once.
	q = w.last(general, thread)
	_, envs = w.fake.UserMessage(alice, general, thread, "a further detail about labels from completed trips")
	// The retry is handled again (and found applied) or, when it arrives
	// while the first delivery is still running, which a loaded machine
	// makes likely, waits for it as a "duplicate"; either way it is
	// answered 200 and changes nothing more.
	handled, duplicates := w.obs.count("handled"), w.obs.count("duplicate")
	for retry := range 2 {
		resp, err := w.http.Deliver(envs[0], fakeslack.Signing{RetryNum: retry})
		if err != nil || resp.Status != http.StatusOK {
			t.Fatalf("delivery %d: %v %d", retry, err, resp.Status)
		}
	}
	w.obs.waitCount(t, "handled", handled+1)
	w.obs.waitSum(t, handled+duplicates+2, "handled", "duplicate")
	if after := w.session(general, thread); after.Version != s.Version+1 {
		t.Errorf("a retried event changed the session %d times", after.Version-s.Version)
	}
}

// gate is an interviewer that blocks in Handle until released, to show
// Slack gets its answer before the work is done.
type gate struct {
	entered chan bot.Inbound
	release chan struct{}
}

func (g *gate) Handle(ctx context.Context, in bot.Inbound) ([]bot.Outbound, error) {
	g.entered <- in
	<-g.release
	return []bot.Outbound{{Where: bot.Where{Kind: bot.Ephemeral, Channel: in.Channel, User: in.UserID}, Text: "done: " + in.Text}}, nil
}

func (g *gate) Delivered(context.Context, bot.Inbound, []bot.Outbound) {}

func (g *gate) AttachThread(context.Context, bot.UserKey, string, string, string) error { return nil }
func (g *gate) Home(context.Context, bot.UserKey) (bot.Home, error)                     { return bot.Home{}, nil }

// TestAckBeforeWork: in both modes Slack's request is acknowledged at
// AckWithin while a slow interviewer is still working, the work then
// completes, and a shutdown waits for it.
func TestAckBeforeWork(t *testing.T) {
	for _, httpMode := range []bool{false, true} {
		name := map[bool]string{false: "socket", true: "http"}[httpMode]
		t.Run(name, func(t *testing.T) {
			g := &gate{entered: make(chan bot.Inbound, 1), release: make(chan struct{})}
			w := newWorld(t, worldOpts{httpMode: httpMode, interviewer: g, ackWithin: 100 * time.Millisecond})
			w.deliver(w.fake.SlashCommand(alice, general, "help")) // returns once acked / answered 200
			in := <-g.entered                                      // and the work is still running
			if in.Kind != bot.KindCommand || in.Text != "help" || in.UserName != "Alice" {
				t.Errorf("inbound = %+v", in)
			}
			stopped := make(chan struct{})
			go func() {
				w.stop() // waits for the running handler
				close(stopped)
			}()
			w.obs.waitCount(t, "shutdown", 1) // draining has begun, the handler is still blocked
			select {
			case <-stopped:
				t.Fatal("Run returned while an accepted event was still being handled")
			default:
			}
			close(g.release)
			<-stopped
			notes := w.ephemerals(alice)
			if len(notes) != 1 || notes[0].Text != "done: help" {
				t.Errorf("after shutdown, notes = %+v; the in-flight reply should have been delivered", notes)
			}
		})
	}
}

// TestSocketAckAfterHandling (issue 12-A): a Socket Mode envelope is
// acknowledged only once its event has been handled (the change saved and
// the replies sent), so a process that dies meanwhile leaves it for Slack
// to deliver again; a handler slower than AckWithin is acknowledged at
// AckWithin, inside Slack's 3 s.
func TestSocketAckAfterHandling(t *testing.T) {
	t.Run("handled first", func(t *testing.T) {
		g := &gate{entered: make(chan bot.Inbound, 1), release: make(chan struct{})}
		w := newWorld(t, worldOpts{interviewer: g, ackWithin: time.Hour})
		env := w.fake.SlashCommand(alice, general, "help")
		w.fake.Send(env)
		<-g.entered // the handler is running
		if _, acked := w.fake.Ack(env.ID); acked {
			t.Fatal("the envelope was acknowledged before its event was handled")
		}
		close(g.release)
		w.fake.WaitAck(t, env.ID)
		if notes := w.ephemerals(alice); len(notes) != 1 || notes[0].Text != "done: help" {
			t.Errorf("notes at the ack = %+v; the reply goes out before the ack", notes)
		}
	})
	t.Run("slow handler acknowledged in time", func(t *testing.T) {
		g := &gate{entered: make(chan bot.Inbound, 1), release: make(chan struct{})}
		defer close(g.release)
		w := newWorld(t, worldOpts{interviewer: g, ackWithin: 200 * time.Millisecond})
		env := w.fake.SlashCommand(alice, general, "help")
		w.fake.Send(env)
		<-g.entered
		w.fake.WaitAck(t, env.ID) // the handler is still blocked
	})
}

// recorder is a ResponseWriter that tells when the status was written.
type recorder struct {
	header http.Header
	status int
	wrote  chan struct{}
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, wrote: make(chan struct{})} }

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) WriteHeader(status int) {
	r.status = status
	close(r.wrote)
}

func (r *recorder) answered() bool {
	select {
	case <-r.wrote:
		return true
	default:
		return false
	}
}

// TestHTTPAckAfterHandling (issue 12-A, HTTP mode): Slack's request is
// answered 200 only once its event has been handled (the change saved,
// the replies sent), so a process that dies meanwhile leaves the request
// unanswered and Slack retries it; a handler slower than AckWithin is
// answered at AckWithin, inside Slack's 3 s.
func TestHTTPAckAfterHandling(t *testing.T) {
	for _, tc := range []struct {
		name       string
		handleFor  time.Duration // how long the event takes
		answeredAt time.Duration
	}{
		{"handled first", time.Second, time.Second},
		{"slow handler answered in time", time.Minute, DefaultAckWithin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				work, cancel := context.WithCancel(context.Background())
				defer cancel()
				a := &Adapter{cfg: Config{AckWithin: DefaultAckWithin, EventTimeout: DefaultEventTimeout},
					log: slog.New(slog.DiscardHandler), work: dispatch.New(8, 16), workCtx: work}
				handled := make(chan struct{})
				j := &job{key: "T:U", run: func(ctx context.Context) {
					time.Sleep(tc.handleFor) // fake time: the event's save and replies
					close(handled)
				}}
				rec := newRecorder()
				start := time.Now()
				go a.submit(rec, httptest.NewRequest(http.MethodPost, EventsPath, nil), j)
				synctest.Wait()
				if rec.answered() {
					t.Fatal("answered before the event was handled")
				}
				<-rec.wrote
				if got := time.Since(start); got != tc.answeredAt || rec.status != http.StatusOK {
					t.Fatalf("answered %d after %v, want 200 after %v", rec.status, got, tc.answeredAt)
				}
				<-handled
				if err := a.work.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}

// TestRedeliveryOfEventInFlight: Slack retries an HTTP request that took
// over 3 s (a busy process) while the event is still being handled. The
// retry is not handled a second time (its saved replies would be sent
// twice: 48 to 84 of 150 replies repeated in the kill -9 test's HTTP runs
// on Redis); it is answered as the original is, when the original's
// handling ends or at AckWithin after the retry arrived. Once the original
// is done, a later delivery runs again (the bot's Save makes it a no-op).
func TestRedeliveryOfEventInFlight(t *testing.T) {
	for _, tc := range []struct {
		name       string
		handleFor  time.Duration // how long the original takes
		retryAt    time.Duration // when the retry arrives
		answeredAt time.Duration // when the retry is answered, from the start
	}{
		{"original ends first", time.Second, 500 * time.Millisecond, time.Second},
		{"slow original", time.Minute, 500 * time.Millisecond, 500*time.Millisecond + DefaultAckWithin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				work, cancel := context.WithCancel(context.Background())
				defer cancel()
				a := &Adapter{cfg: Config{AckWithin: DefaultAckWithin, EventTimeout: DefaultEventTimeout, Observe: func(string, ...string) {}},
					log: slog.New(slog.DiscardHandler), work: dispatch.New(8, 16), workCtx: work}
				var runs atomic.Int32
				newJob := func() *job {
					return &job{key: "T:U", event: "Ev1", run: func(ctx context.Context) {
						runs.Add(1)
						time.Sleep(tc.handleFor) // fake time: the event's save and replies
					}}
				}
				start := time.Now()
				first := newRecorder()
				go a.submit(first, httptest.NewRequest(http.MethodPost, EventsPath, nil), newJob())
				time.Sleep(tc.retryAt)
				retry := newRecorder()
				go a.submit(retry, httptest.NewRequest(http.MethodPost, EventsPath, nil), newJob())
				<-retry.wrote
				if got := time.Since(start); got != tc.answeredAt || retry.status != http.StatusOK {
					t.Fatalf("retry answered %d after %v, want 200 after %v", retry.status, got, tc.answeredAt)
				}
				<-first.wrote
				time.Sleep(tc.handleFor) // the original's handling ends
				synctest.Wait()
				if n := runs.Load(); n != 1 {
					t.Fatalf("the event was handled %d times while in flight, want once", n)
				}
				later := newRecorder()
				go a.submit(later, httptest.NewRequest(http.MethodPost, EventsPath, nil), newJob())
				<-later.wrote
				synctest.Wait()
				if n := runs.Load(); n != 2 {
					t.Fatalf("a delivery after the original ended ran %d times in all, want 2", n)
				}
				time.Sleep(tc.handleFor)
				if err := a.work.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
			})
		})
	}
}
