package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/lifeline-aid/lifeline/adapters/console"
	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// appIO is the process's terminal.
type appIO struct {
	in          io.Reader
	out, errOut io.Writer
	interactive bool
}

// shutdownGrace bounds how long a stopping bot keeps flushing the outbox.
const shutdownGrace = 15 * time.Second

// adapter is a platform that also receives messages.
type adapter interface {
	bot.Platform
	Run(ctx context.Context, h bot.Handler) error
}

// runApp wires the store, triage, engine and platforms from cfg and runs
// until ctx ends (a signal) or, with only the console platform, until its
// input ends. Either way it drains the outbox before closing the store.
func runApp(ctx context.Context, cfg *config.Config, tio appIO) error {
	log := newLogger(cfg, tio.errOut)
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	st, err := store.Open(ctx, dbPath(cfg), store.Options{Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()

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
	engine, err := bot.New(ctx, engineOptions(cfg, st, tri, log))
	if err != nil {
		return err
	}

	// Intake stops when intakeCtx ends; delivery keeps going a little longer
	// so what intake produced still goes out.
	intakeCtx, stopIntake := context.WithCancel(ctx)
	defer stopIntake()
	var adapters []adapter
	var consoleAdapter *console.Adapter
	if cfg.Platforms.Console.Enabled {
		consoleAdapter = console.New(console.Options{In: tio.in, Out: tio.out, Log: log, Interactive: tio.interactive})
		adapters = append(adapters, consoleAdapter)
	}
	more, err := platformAdapters(intakeCtx, cfg, st, engine, log, tio.out)
	if err != nil {
		return err
	}
	adapters = append(adapters, more...)
	for _, a := range adapters {
		engine.AddPlatform(a)
	}
	printAdminCodes(ctx, engine, tio.errOut, log)

	deliverCtx, stopDelivery := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDelivery()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := engine.Run(deliverCtx); err != nil {
			log.Error("engine stopped", "err", err)
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := store.ServeBackups(intakeCtx, st, controlSocket(cfg)); err != nil {
			log.Warn("backup socket unavailable; stop the bot to back up", "err", err)
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		runMaintenance(intakeCtx, cfg, st, log)
	}()

	errs := make(chan error, len(adapters))
	consoleOnly := consoleAdapter != nil && len(adapters) == 1
	for _, a := range adapters {
		go func() {
			err := a.Run(intakeCtx, engine)
			if err != nil && intakeCtx.Err() == nil {
				err = fmt.Errorf("%s: %w", a.Name(), err)
			} else {
				err = nil
			}
			errs <- err
		}()
	}
	log.Info("lifeline running", "data_dir", cfg.DataDir, "platforms", len(adapters), "version", version)

	var runErr error
	finished := 0
	for finished < len(adapters) {
		select {
		case <-ctx.Done():
			log.Info("stopping: signal received")
			finished = len(adapters)
		case err := <-errs:
			finished++
			if err != nil {
				log.Error("platform stopped", "err", err)
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
	if err := engine.Drain(drainCtx); err != nil {
		log.Warn("outbox not empty at shutdown; it will be sent on the next start", "err", err)
	}
	stopDelivery()
	wg.Wait()
	log.Info("lifeline stopped")
	return runErr
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
		Outbox:   bot.OutboxOptions{MaxAttempts: cfg.Outbox.MaxAttempts},
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
