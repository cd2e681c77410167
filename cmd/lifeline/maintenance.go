package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/bot/notify"
	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
	"github.com/lifeline-aid/lifeline/store"
)

// runMaintenance runs the engine's retention purge (checked hourly; it
// runs once a day by the engine's clock) and takes scheduled backups, until
// ctx ends. A job that panics is logged with its stack and reported; the
// next run still happens.
func runMaintenance(ctx context.Context, cfg *config.Config, st *store.Store, engine *bot.Engine, log *slog.Logger, notifier *notify.Notifier) {
	c := cron.New(cron.WithLocation(cfg.Location), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	purge := guarded("retention purge", log, notifier, func() error {
		_, _, err := engine.RunDuePurge(ctx)
		return err
	})
	purge()
	_, _ = c.AddFunc("@hourly", purge)
	if cfg.Backup.Schedule != "" {
		dir := cfg.DataPath(cfg.Backup.Dir)
		_, _ = c.AddFunc(cfg.Backup.Schedule, guarded("scheduled backup", log, notifier, func() error {
			return scheduledBackup(ctx, st, dir, cfg.Backup.Keep)
		}))
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
}

// guarded runs job for the scheduler: an error or a panic is logged (a
// panic with its stack) and sent to the webhook, and never stops the
// process or the schedule.
func guarded(name string, log *slog.Logger, notifier *notify.Notifier, job func() error) func() {
	return func() {
		defer func() {
			if p := recover(); p != nil {
				log.Error(name+" panicked", "panic", p, "stack", string(debug.Stack()))
				notifier.Notify(notify.Critical, fmt.Sprintf("%s crashed (%v); see the log. The next run is still scheduled.", name, p))
			}
		}()
		if err := job(); err != nil {
			log.Error(name+" failed", "err", err)
			notifier.Notify(notify.Warning, fmt.Sprintf("%s failed: %v", name, err))
		}
	}
}

// scheduledBackup writes a timestamped backup and keeps the newest keep.
func scheduledBackup(ctx context.Context, st *store.Store, dir string, keep int) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create backup directory: %w", err)
	}
	name := filepath.Join(dir, "lifeline-"+time.Now().UTC().Format("20060102-150405")+".db")
	if err := st.BackupFile(ctx, name); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list backups: %w", err)
	}
	var old []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "lifeline-") && strings.HasSuffix(e.Name(), ".db") {
			old = append(old, e.Name())
		}
	}
	slices.Sort(old)
	keep = max(keep, 1) // never the copy just written, whatever the config says
	for len(old) > keep {
		if err := os.Remove(filepath.Join(dir, old[0])); err != nil {
			return fmt.Errorf("remove old backup: %w", err)
		}
		old = old[1:]
	}
	return nil
}
