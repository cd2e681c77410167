package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
	"github.com/lifeline-aid/lifeline/store"
)

// runMaintenance takes scheduled backups until ctx ends. (The retention
// purge is the engine's: it runs in Engine.Run.)
func runMaintenance(ctx context.Context, cfg *config.Config, st *store.Store, log *slog.Logger) {
	c := cron.New(cron.WithLocation(cfg.Location))
	if cfg.Backup.Schedule != "" {
		dir := cfg.DataPath(cfg.Backup.Dir)
		_, _ = c.AddFunc(cfg.Backup.Schedule, func() {
			if err := scheduledBackup(ctx, st, dir, cfg.Backup.Keep); err != nil {
				log.Error("scheduled backup", "err", err)
			}
		})
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
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
	for len(old) > keep {
		if err := os.Remove(filepath.Join(dir, old[0])); err != nil {
			return fmt.Errorf("remove old backup: %w", err)
		}
		old = old[1:]
	}
	return nil
}
