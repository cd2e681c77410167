package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
	"github.com/lifeline-aid/lifeline/triage/eval"
)

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path)
}

func runBot(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("run")
	cfgPath := configFlag(fs)
	if err := parseFlags(fs, "run", args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	return runApp(ctx, cfg, appIO{in: stdin, out: stdout, errOut: stderr, interactive: isTerminal(stdin)})
}

func runEval(args []string, stdout io.Writer) error {
	fs := newFlags("eval")
	data := fs.String("data", "", "labelled TSV file with text and label columns")
	asJSON := fs.Bool("json", false, "end the output with one JSON line")
	lexicon := fs.String("lexicon", "", "extra lexicon file (YAML) overlaid on the embedded one")
	listMisses := fs.Bool("errors", false, "list the rows the engine got wrong, with its reasons")
	if err := parseFlags(fs, "eval", args); err != nil {
		return err
	}
	if *data == "" {
		return usageErr{"eval: -data FILE.tsv is required (a TSV file with text and label columns)"}
	}
	var extra []*triage.Lexicon
	if *lexicon != "" {
		lx, err := triage.LoadLexiconFile(*lexicon)
		if err != nil {
			return fmt.Errorf("eval: -lexicon: %w", err)
		}
		extra = append(extra, lx)
	}
	eng, err := triage.NewEngine(extra...)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	f, err := os.Open(*data)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	rep, err := eval.Evaluate(f, *data, eng)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	if err := rep.WriteText(stdout, *data); err != nil {
		return fmt.Errorf("eval: write: %w", err)
	}
	if *listMisses {
		if err := rep.WriteMisses(stdout); err != nil {
			return fmt.Errorf("eval: write: %w", err)
		}
	}
	if *asJSON {
		b, err := json.Marshal(rep)
		if err != nil {
			return fmt.Errorf("eval: encode json: %w", err)
		}
		if _, err := fmt.Fprintf(stdout, "%s\n", b); err != nil {
			return fmt.Errorf("eval: write: %w", err)
		}
	}
	return nil
}

// runBackup writes a consistent copy of the database. While the bot runs
// it holds the file's lock, so the copy is asked of the running bot over
// its control socket; otherwise the file is opened directly.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup")
	cfgPath := configFlag(fs)
	out := fs.String("o", "", "output file (required)")
	if err := parseFlags(fs, "backup", args); err != nil {
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

// errNotReady makes `lifeline health` exit 1 after printing the checks.
var errNotReady = errors.New("not ready")

// runHealth asks the running bot's /readyz and prints its answer.
func runHealth(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("health")
	cfgPath := configFlag(fs)
	url := fs.String("url", "", "readiness URL (default: /readyz at http.listen of the config)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if err := parseFlags(fs, "health", args); err != nil {
		return err
	}
	target := *url
	if target == "" {
		if *cfgPath == "" {
			return usageErr{"health: give -config FILE (or $LIFELINE_CONFIG) with http.listen set, or -url http://127.0.0.1:8080/readyz"}
		}
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			return err
		}
		if target, err = readyURL(cfg.HTTP.Listen); err != nil {
			return fmt.Errorf("health: %s: %w", *cfgPath, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return usageErr{fmt.Sprintf("health: -url: %v", err)}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: is the bot running? %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	stdout.Write(body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %w (%s)", errNotReady, resp.Status)
	}
	return nil
}

// readyURL is the /readyz URL for a listen address, reached over loopback
// when the bot listens on every interface.
func readyURL(listen string) (string, error) {
	if listen == "" {
		return "", errors.New("http.listen is empty: the bot serves no health endpoint (set it, like 127.0.0.1:8080)")
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("http.listen %q: %w", listen, err)
	}
	if port == "0" {
		return "", fmt.Errorf("http.listen %q picks a free port at start; use -url", listen)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(strings.Trim(host, "[]"), port) + "/readyz", nil
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
