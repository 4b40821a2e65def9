package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/mlsdbot/mlsd/bot"
	"github.com/mlsdbot/mlsd/bot/bolt"
	"github.com/mlsdbot/mlsd/bot/console"
	"github.com/mlsdbot/mlsd/bot/discord"
	"github.com/mlsdbot/mlsd/bot/llm"
	"github.com/mlsdbot/mlsd/bot/metrics"
	"github.com/mlsdbot/mlsd/bot/redis"
	"github.com/mlsdbot/mlsd/bot/schedule"
	"github.com/mlsdbot/mlsd/bot/slack"
	"github.com/mlsdbot/mlsd/scenarios"
)

// runner is a component that runs until its context ends.
type runner interface {
	Run(ctx context.Context) error
}

// runnerFunc adapts a function to runner.
type runnerFunc func(ctx context.Context) error

func (f runnerFunc) Run(ctx context.Context) error { return f(ctx) }

// readiness is a component that can say whether it is connected.
type readiness interface {
	Ready() bool
}

// pinger is a store that can check it is reachable (Redis).
type pinger interface {
	Ping(ctx context.Context) error
}

// writeChecker is a store that knows when its writes fail for lack of
// space (bolt: a full disk; Redis: maxmemory or MISCONF): WriteProblem
// returns why (nil when writes work), trying one small write while they
// fail so the replica comes back once space does.
type writeChecker interface {
	WriteProblem(ctx context.Context) error
}

// serve runs the bot with the adapters the environment selects.
func serve(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer, forceConsole bool) error {
	fs := flag.NewFlagSet("mlsd console", flag.ContinueOnError)
	fs.SetOutput(stderr)
	user := fs.String("user", "", "simulated user name in the console (default $USER)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	consoleMode := forceConsole || (!cfg.slackEnabled() && !cfg.discordEnabled())
	if consoleMode && !forceConsole && cfg.HTTPAddr != "" && !isTerminal(stdin) {
		// A server deployment (container, Kubernetes) with no platform
		// would start a console on empty input, exit, and restart in a loop.
		return errors.New("no chat platform configured: set SLACK_BOT_TOKEN with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET, or DISCORD_BOT_TOKEN with DISCORD_APP_ID (run 'mlsd config check'); for the terminal use 'mlsd console'")
	}
	log := newLogger(cfg, stderr, consoleMode)

	lib, err := scenarios.Load(cfg.ScenariosDir)
	if err != nil {
		return fmt.Errorf("loading scenarios: %w", err)
	}

	name := *user
	if name == "" {
		name = cfg.User
	}
	var term *console.Config
	if consoleMode {
		term = &console.Config{
			In:          stdin,
			Out:         stdout,
			Log:         log,
			User:        name,
			RunID:       strconv.FormatInt(time.Now().UnixNano(), 36),
			Interactive: isTerminal(stdin),
		}
	}
	return serveAll(ctx, cfg, lib, log, term)
}

// newBot builds the interviewer on store (raw instrumented). The daily
// challenge, progress, export and team averages use raw's own methods when it has them
// (the metrics wrapper does not forward them); ai may be nil; wake is
// called after `/mlsd daily now`.
func newBot(cfg config, store, raw bot.Store, ai *bot.AIJudge, lib *bot.Library, log *slog.Logger, wake func()) (*bot.Bot, error) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(os.Getpid())))
	var mu sync.Mutex // rand.Rand is not safe for concurrent use
	daily, _ := raw.(bot.DailyStore)
	progress, _ := raw.(bot.ProgressStore)
	export, _ := raw.(bot.ExportStore)
	team, _ := raw.(bot.TeamAverages)
	return bot.New(bot.Config{
		Store:   store,
		Library: lib,
		Now:     time.Now,
		Intn: func(n int) int {
			mu.Lock()
			defer mu.Unlock()
			return rng.IntN(n)
		},
		Log:          log,
		Location:     cfg.Location,
		Daily:        daily,
		Calendar:     &schedule.Calendar{},
		DailyWake:    wake,
		NudgeAfter:   cfg.NudgeAfter,
		AbandonAfter: cfg.AbandonAfter,
		Progress:     progress,
		Export:       export,
		AI:           ai,
		OutboxGrace:  cfg.OutboxGrace,
		TeamAverages: team,
	})
}

// maxRunning is how many events an adapter handles at once: its default
// (0) without the AI judge; with it, handlers spend seconds waiting on the
// model, so more may run before one slow reading holds up other channels.
func maxRunning(ai *bot.AIJudge) int {
	if ai == nil {
		return 0
	}
	return 64
}

// newAIJudge builds the optional AI judge; nil when MLSD_LLM_URL is unset.
// ledger is the store's own cache and token count.
func newAIJudge(cfg config, ledger bot.JudgeLedger, observe func(bot.JudgeOutcome)) (*bot.AIJudge, error) {
	if cfg.LLMURL == "" {
		return nil, nil
	}
	if ledger == nil {
		return nil, errors.New("MLSD_LLM_URL: this store cannot cache the AI judge's verdicts")
	}
	judge, err := llm.New(llm.Options{BaseURL: cfg.LLMURL, APIKey: cfg.LLMAPIKey, Model: cfg.LLMModel})
	if err != nil {
		return nil, err
	}
	return &bot.AIJudge{Judge: judge, Model: cfg.LLMModel, Timeout: cfg.LLMTimeout, DailyTokens: cfg.LLMDailyTokens, Ledger: ledger, Observe: observe}, nil
}

// serveAll runs the console (term != nil) or the Slack and/or Discord
// adapters, plus the HTTP server when MLSD_HTTP_ADDR is set, until ctx
// ends or the console reaches EOF. Then it shuts down in order: stop
// taking events, finish those in flight and flush outbound queues (each
// adapter, bounded by MLSD_SHUTDOWN_TIMEOUT), stop the HTTP server, close
// the store.
func serveAll(ctx context.Context, cfg config, lib *bot.Library, log *slog.Logger, term *console.Config) error {
	var (
		storeReady atomic.Bool
		components []readiness
		compMu     sync.Mutex
	)
	m := metrics.New()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	var (
		currentStore atomic.Pointer[bot.Store]
		writes       atomic.Pointer[writeChecker]
	)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		problems := readinessProblems(r.Context(), &storeReady, currentStore.Load(), writes.Load(), func() []readiness {
			compMu.Lock()
			defer compMu.Unlock()
			return append([]readiness(nil), components...)
		}())
		if len(problems) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			for _, p := range problems {
				fmt.Fprintln(w, p)
			}
			return
		}
		fmt.Fprintln(w, "ready")
	})

	// Shutdown order: stop intake (the HTTP server stops accepting as soon
	// as the run ends, and waits for its handlers, which only queue work),
	// let the adapters drain their queues and handlers (g.Wait), then close
	// the store, last. A server failure stops everything.
	runCtx, stopAll := context.WithCancel(ctx)
	defer stopAll()
	var (
		srv      *http.Server
		srvErr   atomic.Pointer[error]
		srvDone  = make(chan struct{})
		stopHTTP = func() {}
	)
	if cfg.HTTPAddr != "" {
		ln, err := net.Listen("tcp", cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("MLSD_HTTP_ADDR: cannot listen on %s: %w", cfg.HTTPAddr, err)
		}
		log.Info("http server listening", "addr", ln.Addr().String())
		srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			defer close(srvDone)
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				e := fmt.Errorf("http server: %w", err)
				srvErr.Store(&e)
				stopAll()
			}
		}()
		stopHTTP = sync.OnceFunc(func() {
			sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				log.Warn("http server shutdown", "err", err)
			}
			<-srvDone
		})
		go func() {
			<-runCtx.Done()
			stopHTTP()
		}()
		defer stopHTTP()
	}
	g, gctx := errgroup.WithContext(runCtx)

	// With an HTTP server, wait for an unreachable Redis (and say so on
	// /readyz) instead of crash-looping; without one, fail at once.
	var raw bot.Store
	var err error
	if srv != nil {
		raw, err = openStoreWaiting(gctx, cfg, log)
	} else {
		raw, err = openStore(gctx, cfg, log)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil // shut down while waiting for the store
		}
		if e := srvErr.Load(); e != nil {
			return *e
		}
		return err
	}
	// The instrumented store keeps the optional Ping and lease methods.
	store := metrics.InstrumentStore(raw, m)
	defer func() {
		stopHTTP() // no handler may still be using the store
		store.Close()
	}()
	currentStore.Store(&store)
	if wc, ok := raw.(writeChecker); ok {
		writes.Store(&wc)
	}
	storeReady.Store(true)
	log.Info("store ready", "store", storeKind(cfg))

	// The daily challenge and idle checks use the store's own methods; the
	// metrics wrapper does not forward them.
	daily, _ := raw.(bot.DailyStore)
	ledger, _ := raw.(bot.JudgeLedger)
	ai, err := newAIJudge(cfg, ledger, m.JudgeRead)
	if err != nil {
		return err
	}
	if ai != nil {
		log.Info("AI judge on: answers are also sent to the configured endpoint", "model", cfg.LLMModel, "timeout", cfg.LLMTimeout, "daily_tokens", cfg.LLMDailyTokens)
	}
	wake := make(chan struct{}, 1)
	b, err := newBot(cfg, store, raw, ai, lib, log, func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	})
	if err != nil {
		return err
	}
	painter, closePainter := newPainter(runCtx, cfg, lib, log)
	defer closePainter()
	posters := map[bot.Platform]schedule.Poster{}
	// The store shares each platform's rate budget between the replicas
	// (in process for bbolt).
	limiter, _ := raw.(bot.RateLimiter)
	iv := metrics.InstrumentHandler(b, m)
	var runners []runner
	if term != nil {
		term.Bot = iv
		term.Drawer, term.PictureDir = painter, pictureDir(cfg)
		c := console.New(*term)
		// EOF on the console ends the whole program.
		runners = append(runners, runnerFunc(func(ctx context.Context) error {
			defer stopAll()
			return c.Run(ctx)
		}))
	}
	if term == nil && cfg.slackEnabled() {
		sa, err := slack.New(slack.Config{
			BotToken:        cfg.SlackBotToken,
			AppToken:        cfg.SlackAppToken,
			SigningSecret:   cfg.SlackSigningSecret,
			APIURL:          cfg.SlackAPIURL,
			Interviewer:     iv,
			Drawer:          painter,
			Log:             log,
			Observe:         m.Observer(bot.Slack),
			ShutdownTimeout: cfg.ShutdownTimeout,
			MaxRunning:      maxRunning(ai),
			Limiter:         limiter,
			WorkspaceRate:   slackWorkspaceRate(cfg),
		})
		if err != nil {
			return err
		}
		if !sa.SocketMode() {
			sa.Register(mux)
		}
		runners = append(runners, sa)
		posters[bot.Slack] = sa
		compMu.Lock()
		components = append(components, sa)
		compMu.Unlock()
	}
	if term == nil && cfg.discordEnabled() {
		var leaser discord.Leaser
		if l, ok := store.(discord.Leaser); ok {
			leaser = l
		}
		da, err := discord.New(discord.Config{
			Token:           cfg.DiscordToken,
			AppID:           cfg.DiscordAppID,
			PublicKey:       cfg.DiscordPublicKey,
			Interviewer:     iv,
			Drawer:          painter,
			Observe:         m.Observer(bot.Discord),
			MaxRunning:      maxRunning(ai),
			Library:         lib,
			Log:             log,
			APIURL:          cfg.DiscordAPIURL,
			MessageContent:  cfg.DiscordMessageContent,
			ShardID:         cfg.DiscordShardID,
			ShardCount:      cfg.DiscordShardCount,
			Leaser:          leaser,
			Guilds:          cfg.DiscordGuilds,
			ShutdownTimeout: cfg.ShutdownTimeout,
			Limiter:         limiter,
		})
		if err != nil {
			return err
		}
		if cfg.DiscordPublicKey != "" {
			da.RegisterHTTP(mux)
		}
		runners = append(runners, da)
		posters[bot.Discord] = da
		compMu.Lock()
		components = append(components, da)
		compMu.Unlock()
	}

	if term == nil && daily != nil {
		// Every replica reconciles; the store's claims make each post,
		// reveal and nudge happen once.
		runners = append(runners, schedule.New(b, schedule.Options{
			Posters: posters,
			Grace:   cfg.DailyGrace,
			// Saved replies no process sent go out within a tick of their
			// grace.
			Every: min(schedule.DefaultEvery, cfg.OutboxGrace),
			Wake:  wake,
			Log:   log,
			Observe: func(event string, p bot.Platform) {
				switch event {
				case "posted":
					m.SchedulerPosted(p)
				case "claim_lost":
					m.SchedulerClaimLost(p)
				}
			},
		}))
	}
	for _, r := range runners {
		g.Go(func() error { return r.Run(gctx) })
	}
	log.Info("mlsd running", "slack", cfg.slackEnabled(), "discord", cfg.discordEnabled(), "store", storeKind(cfg), "scenarios", lib.Len())
	err = g.Wait()
	if e := srvErr.Load(); err == nil && e != nil {
		err = *e
	}
	log.Info("mlsd stopped")
	return err
}

func readinessProblems(ctx context.Context, storeReady *atomic.Bool, store *bot.Store, writes *writeChecker, comps []readiness) []string {
	var problems []string
	if !storeReady.Load() || store == nil {
		return []string{"store: not connected"}
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if p, ok := (*store).(pinger); ok {
		if err := p.Ping(pctx); err != nil {
			problems = append(problems, "store: "+err.Error())
		}
	}
	// A replica that cannot save takes no traffic; it stays alive
	// (/healthz) and comes back once a write goes through.
	if writes != nil {
		if err := (*writes).WriteProblem(pctx); err != nil {
			problems = append(problems, "store cannot save: "+err.Error())
		}
	}
	for _, c := range comps {
		if !c.Ready() {
			problems = append(problems, fmt.Sprintf("%T: not connected", c))
		}
	}
	return problems
}

func storeKind(cfg config) string {
	if cfg.RedisURL != "" {
		return "redis"
	}
	return "bolt"
}

// openStore opens Redis when REDIS_URL is set, else the embedded store.
func openStore(ctx context.Context, cfg config, log *slog.Logger) (bot.Store, error) {
	if cfg.RedisURL != "" {
		return redis.Open(ctx, cfg.RedisURL, redis.Options{Log: log, Prefix: cfg.RedisPrefix})
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("MLSD_DATA_DIR: cannot create %s: %w", cfg.DataDir, err)
	}
	return bolt.Open(filepath.Join(cfg.DataDir, "mlsd.db"), bolt.Options{Now: time.Now, Log: log})
}

// openStoreWaiting retries while Redis is unreachable, so a replica that
// starts before Redis becomes ready (and says so on /readyz) instead of
// crash-looping. Configuration errors still fail at once.
func openStoreWaiting(ctx context.Context, cfg config, log *slog.Logger) (bot.Store, error) {
	delay := 500 * time.Millisecond
	for {
		store, err := openStore(ctx, cfg, log)
		if err == nil || !errors.Is(err, bot.ErrUnavailable) {
			return store, err
		}
		log.Warn("store unreachable; retrying", "err", err, "in", delay)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 10*time.Second)
	}
}

func newLogger(cfg config, w io.Writer, consoleMode bool) *slog.Logger {
	level := slog.LevelInfo
	switch cfg.LogLevel {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	case "":
		if consoleMode { // keep the terminal transcript clean
			level = slog.LevelWarn
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.LogFormat
	if format == "" {
		format = "json"
		if consoleMode || isTerminal(w) {
			format = "text"
		}
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// isTerminal reports whether f is an interactive terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	if !ok {
		return false
	}
	fi, err := file.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// slackWorkspaceRate is MLSD_SLACK_WORKSPACE_RATE as a budget with bursts
// of one second's worth (at least 1); zero leaves the adapter's default.
func slackWorkspaceRate(cfg config) bot.Rate {
	if cfg.SlackWorkspaceRate <= 0 {
		return bot.Rate{}
	}
	return bot.PerSecond(cfg.SlackWorkspaceRate, max(1, int(cfg.SlackWorkspaceRate)))
}
