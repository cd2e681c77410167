package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage/eval"
)

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path)
}

func runBot(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("run", stderr)
	cfgPath := fs.String("config", "", "configuration file (default: built-in console set-up)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErr{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	return runApp(ctx, cfg, appIO{in: stdin, out: stdout, errOut: stderr, interactive: isTerminal(stdin)})
}

func runEval(args []string, stdout, stderr io.Writer) error {
	if err := eval.Run(args, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("eval: %w", err)
	}
	return nil
}

// runBackup writes a consistent copy of the database. While the bot runs
// it holds the file's lock, so the copy is asked of the running bot over
// its control socket; otherwise the file is opened directly.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	cfgPath := fs.String("config", "", "configuration file (default: built-in, ./lifeline-data)")
	out := fs.String("o", "", "output file (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return usageErr{"backup: -o OUT is required"}
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	sock := controlSocket(cfg)
	if _, err := os.Stat(sock); err == nil {
		if err := store.RequestBackup(ctx, sock, *out); err == nil {
			fmt.Fprintf(stdout, "backup written to %s (from the running bot)\n", *out)
			return nil
		} else {
			fmt.Fprintf(stderr, "lifeline: running bot did not answer (%v); opening the file directly\n", err)
		}
	}
	s, err := store.Open(ctx, dbPath(cfg), store.Options{})
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer s.Close()
	if err := s.BackupFile(ctx, *out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdout, "backup written to %s\n", *out)
	return nil
}

func dbPath(cfg *config.Config) string        { return filepath.Join(cfg.DataDir, "lifeline.db") }
func controlSocket(cfg *config.Config) string { return filepath.Join(cfg.DataDir, "control.sock") }

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
