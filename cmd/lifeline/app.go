package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lifeline-aid/lifeline/adapters/console"
	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/bot/metrics"
	"github.com/lifeline-aid/lifeline/bot/notify"
	"github.com/lifeline-aid/lifeline/bot/ops"
	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// appIO is the process's terminal.
type appIO struct {
	in          io.Reader
	out, errOut io.Writer
	interactive bool
	// httpReady, when set, is told the HTTP listener's address (tests
	// listen on port 0).
	httpReady func(net.Addr)
}

const (
	// shutdownGrace bounds how long a stopping bot keeps flushing the
	// outbox. Container and service managers must wait longer than this
	// before killing the process (docker --stop-timeout, systemd
	// TimeoutStopSec): see the Dockerfile, docker-compose.yml and deploy/.
	shutdownGrace = 15 * time.Second
	// watchEvery is how often readiness is checked for the log and the
	// webhook; a change is reported once it held for two checks.
	watchEvery = 30 * time.Second
	// checkTimeout bounds one readiness check.
	checkTimeout = 3 * time.Second
)

// adapter is a platform that also receives messages.
type adapter interface {
	bot.Platform
	Run(ctx context.Context, h bot.Handler) error
}

// runApp wires the store, triage, engine, platforms and the HTTP listener
// from cfg and runs until ctx ends (a signal) or, with only the console
// platform, until its input ends. Either way it drains the outbox before
// closing the store.
func runApp(ctx context.Context, cfg *config.Config, tio appIO) error {
	log := newLogger(cfg, tio.errOut)
	build := readBuildInfo()
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	st, err := store.Open(ctx, dbPath(cfg), store.Options{Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	// Bind the port before connecting anywhere: a port in use fails the
	// start, naming the key, rather than leaving a bot nobody can check.
	var ln net.Listener
	if cfg.HTTP.Listen != "" {
		if ln, err = net.Listen("tcp", cfg.HTTP.Listen); err != nil {
			return fmt.Errorf("http.listen %s: %w (change http.listen, or set it to \"\" to serve no health endpoints)", cfg.HTTP.Listen, err)
		}
		defer ln.Close()
	}

	var mtr *metrics.Metrics // assigned below; the notifier counts its failures there
	var notifier *notify.Notifier
	if cfg.Notify.WebhookURL != "" {
		notifier, err = notify.New(notify.Options{
			URL:       cfg.Notify.WebhookURL,
			Format:    notify.Format(cfg.Notify.Format),
			Token:     string(cfg.Notify.Token),
			Logger:    log,
			OnFailure: func() { mtr.NotifyFailed() },
		})
		if err != nil {
			return fmt.Errorf("notify.webhook_url: %w", err)
		}
		defer func() {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := notifier.Close(cctx); err != nil {
				log.Error("webhook notices left unsent", "err", err)
			}
		}()
	}

	var extra []*triage.Lexicon
	if cfg.Triage.Lexicon != "" {
		lex, err := triage.LoadLexiconFile(cfg.Triage.Lexicon)
		if err != nil {
			return fmt.Errorf("triage.lexicon: %w", err)
		}
		extra = append(extra, lex)
	}
	tri, err := triage.NewEngine(extra...)
	if err != nil {
		return fmt.Errorf("triage: %w", err)
	}
	tri.SetPhoneRegion(cfg.Region())
	// The metrics come before the engine, which counts into them; the
	// probe they read learns the platforms once the adapters exist.
	probe := &ops.Probe{Store: st}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if mtr, err = metrics.New(reg, metrics.Options{
		State: probe, Platforms: cfg.EnabledPlatforms(),
		Version: build.Version, Commit: build.Commit, GoVersion: build.Go,
	}); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	eopts := engineOptions(cfg, st, tri, log)
	eopts.Media = mediaOptions(ctx, cfg, log)
	eopts.Observer = mtr
	engine, err := bot.New(ctx, eopts)
	if err != nil {
		return err
	}

	// Intake stops when intakeCtx ends; delivery keeps going a little longer
	// so what intake produced still goes out.
	intakeCtx, stopIntake := context.WithCancel(ctx)
	defer stopIntake()
	var adapters []*running
	var consoleAdapter *console.Adapter
	if cfg.Platforms.Console.Enabled {
		consoleAdapter = console.New(console.Options{In: tio.in, Out: tio.out, Log: log, Interactive: tio.interactive})
		adapters = append(adapters, &running{adapter: consoleAdapter})
	}
	more, err := platformAdapters(intakeCtx, cfg, st, engine, notifier, log, tio.out)
	if err != nil {
		return err
	}
	for _, a := range more {
		adapters = append(adapters, &running{adapter: a})
	}
	var names []string
	for _, a := range adapters {
		engine.AddPlatform(a.adapter)
		names = append(names, a.Name())
		probe.Platforms = append(probe.Platforms, ops.Platform{Name: a.Name(), Status: a.status})
	}
	checks := probe.Checks()

	httpCtx, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHTTP()
	var httpWG sync.WaitGroup
	if ln != nil {
		h := ops.NewHandler(ops.Options{
			Checks:       checks,
			CheckTimeout: checkTimeout,
			Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{
				ErrorHandling: promhttp.ContinueOnError,
				ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelError),
			}),
			Version: build.Version,
		})
		if err := mountBoard(httpCtx, cfg, st, engine, h, ln.Addr(), log); err != nil {
			return err
		}
		httpWG.Go(func() {
			if err := ops.Serve(httpCtx, ln, h, 5*time.Second, log); err != nil {
				log.Error("http listener stopped", "err", err)
			}
		})
		log.Info("http listening", "addr", ln.Addr().String(), "paths", "/healthz /readyz /metrics")
		if tio.httpReady != nil {
			tio.httpReady(ln.Addr())
		}
	}
	printAdminCodes(ctx, engine, tio.errOut, log)

	deliverCtx, stopDelivery := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDelivery()
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := engine.Run(deliverCtx); err != nil {
			log.Error("engine stopped", "err", err)
		}
	})
	wg.Go(func() {
		if err := store.ServeBackups(intakeCtx, st, controlSocket(cfg)); err != nil {
			log.Warn("backup socket unavailable; stop the bot to back up", "err", err)
		}
	})
	wg.Go(func() { runMaintenance(intakeCtx, cfg, st, engine, log, notifier) })
	wg.Go(func() {
		ops.Watch(intakeCtx, checks, watchEvery, checkTimeout, func(rep ops.Report) {
			if rep.Ready() {
				log.Info("ready again")
				notifier.Notify(notify.Info, "Lifeline is ready again.")
				return
			}
			failing := strings.Join(rep.Failing(), "; ")
			log.Warn("not ready", "failing", failing)
			notifier.Notify(notify.Warning, "Lifeline is not ready: "+failing)
		})
	})

	errs := make(chan error, len(adapters))
	consoleOnly := consoleAdapter != nil && len(adapters) == 1
	for _, a := range adapters {
		a.up.Store(true)
		go func() {
			err := a.Run(intakeCtx, engine)
			a.up.Store(false)
			if err != nil && intakeCtx.Err() == nil {
				err = fmt.Errorf("%s: %w", a.Name(), err)
			} else {
				err = nil
			}
			errs <- err
		}()
	}
	log.Info("lifeline running", "data_dir", cfg.DataDir, "platforms", strings.Join(names, ","), "version", build.Version, "commit", build.Commit)
	notifier.Notify(notify.Info, fmt.Sprintf("Lifeline %s started (platforms: %s).", build.Version, strings.Join(names, ", ")))

	var runErr error
	finished, returned := 0, 0
	for finished < len(adapters) {
		select {
		case <-ctx.Done():
			log.Info("stopping: signal received")
			finished = len(adapters)
		case err := <-errs:
			finished++
			returned++
			if err != nil {
				log.Error("platform stopped", "err", err)
				notifier.Notify(notify.Critical, fmt.Sprintf("Lifeline is stopping: %v", err))
				runErr = errors.Join(runErr, err)
				finished = len(adapters)
			} else if consoleOnly {
				finished = len(adapters) // input ended: a scripted session is done
			}
		}
	}
	stopIntake()
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	// The adapters stop taking messages first; Drain then waits for the
	// ones being handled to commit, so their alerts go out now.
	// An adapter stuck in a platform call is not waited for past a third
	// of the grace: the outbox needs the rest.
	adaptersStopped := time.NewTimer(shutdownGrace / 3)
	defer adaptersStopped.Stop()
	for ; returned < len(adapters); returned++ {
		select {
		case <-errs:
		case <-adaptersStopped.C:
			log.Warn("a platform did not stop in time; draining anyway")
			returned = len(adapters)
		}
	}
	if err := engine.Drain(drainCtx); err != nil {
		log.Warn("outbox not empty at shutdown; it will be sent on the next start", "err", err)
		notifier.Notify(notify.Warning, "Lifeline stopped with messages still in its outbox; they go out at the next start.")
	} else if runErr == nil {
		notifier.Notify(notify.Info, "Lifeline stopped.")
	}
	stopDelivery()
	wg.Wait()
	stopHTTP()
	httpWG.Wait()
	log.Info("lifeline stopped")
	return runErr
}

// running is an adapter with whether its receive loop is running, the
// fallback connection state for adapters that report none.
type running struct {
	adapter
	up atomic.Bool
}

func (r *running) status() ops.PlatformStatus {
	if sr, ok := r.adapter.(bot.StatusReporter); ok {
		s := sr.Status()
		return ops.PlatformStatus{Known: true, Up: s.Up && r.up.Load(), LastUpdate: s.LastUpdate, Detail: s.Detail, LoginNeeded: s.LoginURL != ""}
	}
	return ops.PlatformStatus{Up: r.up.Load()}
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	hopts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, hopts))
	}
	return slog.New(slog.NewTextHandler(w, hopts))
}

func engineOptions(cfg *config.Config, st *store.Store, tri *triage.Engine, log *slog.Logger) bot.Options {
	alertAt, _ := cfg.AlertAt()
	roomAt, _ := cfg.RoomAt()
	o := bot.Options{
		Store:    st,
		Triage:   tri,
		Logger:   log,
		Location: cfg.Location,
		Language: cfg.Language,
		AlertAt:  alertAt,
		RoomAt:   roomAt,
		Admins:   cfg.Admins,
		Outbox: bot.OutboxOptions{
			MaxAttempts:      cfg.Outbox.MaxAttempts,
			AlertBackoffMax:  cfg.Outbox.AlertBackoffMax.D(),
			UnreachableAfter: cfg.Outbox.UnreachableAfter.D(),
		},
		Throttle: bot.ThrottleOptions{Disabled: !cfg.Throttle.Enabled, SenderPerMinute: cfg.Throttle.Sender,
			ChatPerMinute: cfg.Throttle.Chat, NoticeEvery: cfg.Throttle.NoticeEvery.D()},
		Workflow: bot.WorkflowOptions{
			StaleAfter:         cfg.Workflow.StaleAfter.D(),
			BroadcastResolved:  cfg.Workflow.BroadcastResolved,
			DirectoryAutoReply: cfg.Directory.AutoReply,
			AutoReplyEvery:     cfg.Directory.AutoReplyEvery.D(),
			ExportDir:          cfg.DataPath("exports"),
			DirectoryFile:      cfg.Directory.File,
			RetentionDays:      cfg.Privacy.RetentionDays,
		},
	}
	o.Workflow.EscalateAfter = map[triage.Urgency]time.Duration{}
	for level, d := range cfg.Workflow.EscalateAfter {
		if u, err := triage.ParseUrgency(level); err == nil { // checked by config
			o.Workflow.EscalateAfter[u] = d.D()
		}
	}
	for _, g := range cfg.Groups {
		o.Groups = append(o.Groups, bot.GroupBinding{Chat: g.Chat, Role: store.ChatRole(g.Role), Name: g.Name, Language: g.Language})
	}
	for _, d := range cfg.Digests {
		o.Workflow.Digests = append(o.Workflow.Digests, bot.DigestSpec{Name: d.Name, Schedule: d.Schedule, Kind: d.Kind, To: d.To, StaleAfter: d.StaleAfter.D()})
	}
	return o
}

// printAdminCodes shows the operator, on the terminal, the one-time code
// for each platform that has no admin yet (WeChat ids can't be known in
// advance, so this is how a WeChat team names its first admin). The
// engine logs them too; they never go into a chat.
func printAdminCodes(ctx context.Context, engine *bot.Engine, w io.Writer, log *slog.Logger) {
	codes, err := engine.AdminCodes(ctx)
	if err != nil {
		log.Error("admin claim codes", "err", err)
		return
	}
	for _, c := range codes {
		fmt.Fprintf(w, "\n  No admin on %s yet. To become its admin, send the bot this in a private chat\n"+
			"  (once; valid until %s):\n\n      /admin %s\n\n", c.Platform, c.Expires.Format("2006-01-02 15:04 MST"), c.Code)
	}
}
