package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
	"github.com/lifeline-aid/lifeline/store"
)

// exampleConfig copies config.example.yaml into a temp dir so the data
// directory lands there, with the HTTP listener on a free port (tests and
// other runs on this machine would collide on the example's fixed one).
func exampleConfig(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const listen = `listen: "127.0.0.1:8080"`
	if !bytes.Contains(data, []byte(listen)) {
		t.Fatalf("config.example.yaml no longer says %s", listen)
	}
	data = bytes.Replace(data, []byte(listen), []byte(`listen: "127.0.0.1:0"`), 1)
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func runCLI(t *testing.T, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, stdin, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestScriptedConsoleSessionShowsTheWholeFlow(t *testing.T) {
	script, err := os.Open("testdata/session.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer script.Close()
	code, out, stderr := runCLI(t, script, "run", "-config", exampleConfig(t))
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	for _, want := range []string{
		"[volunteers] lifeline: 🔴 危急",
		"求助 #1", "求助 #2",
		"13912345672",
		"[volunteers] lifeline: ✓ #1 由 李医生 认领",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "求助 #3") {
		t.Errorf("the repost or the chatter opened a third case:\n%s", out)
	}
	if strings.Contains(out, "[intake]") || strings.Contains(out, "[intake2]") {
		t.Errorf("the bot spoke in an intake group:\n%s", out)
	}
}

func TestRunWithoutConfigUsesConsoleAndLocalDataDir(t *testing.T) {
	t.Chdir(t.TempDir())
	code, out, stderr := runCLI(t, strings.NewReader("[intake] 小陈: 外婆突然昏迷不醒，叫不到救护车，电话13912345672\n"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "[volunteers] lifeline:") {
		t.Errorf("no alert:\n%s", out)
	}
	if _, err := os.Stat("lifeline-data/lifeline.db"); err != nil {
		t.Errorf("database not in ./lifeline-data: %v", err)
	}
}

func TestBadConfigFailsAtStartNamingTheKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(p, []byte("platforms: {console: {enabled: true}}\ntriage: {alert_at: urgent}\n"), 0o600)
	code, _, stderr := runCLI(t, strings.NewReader(""), "run", "-config", p)
	if code != 1 || !strings.Contains(stderr, "triage.alert_at") {
		t.Errorf("exit %d, stderr %q; want 1 naming triage.alert_at", code, stderr)
	}
}

func TestUnknownCommandAndFlags(t *testing.T) {
	if code, _, stderr := runCLI(t, nil, "frobnicate"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown command: exit %d, %q", code, stderr)
	}
	if code, _, _ := runCLI(t, nil, "run", "-nope"); code == 0 {
		t.Error("unknown flag accepted")
	}
	if code, out, _ := runCLI(t, nil, "version"); code != 0 || !strings.HasPrefix(out, "lifeline ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestEvalPrintsJSONSummary(t *testing.T) {
	tsv := filepath.Join(t.TempDir(), "eval.tsv")
	rows := "id\ttext\tlabel\n" +
		"1\t外婆突然昏迷不醒，叫不到救护车，电话13912345672\tcritical\n" +
		"2\t大家早上好，今天天气不错\tnone\n" +
		"3\tMy father is unconscious and not breathing, please help\tcritical\n" +
		"4\tthanks everyone, we got the groceries\tnone\n"
	os.WriteFile(tsv, []byte(rows), 0o600)
	code, out, stderr := runCLI(t, nil, "eval", "-data", tsv, "-json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var summary struct {
		N       int `json:"n"`
		Request struct{ Precision, Recall, F1 float64 }
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &summary); err != nil {
		t.Fatalf("last line is not JSON: %q: %v", lines[len(lines)-1], err)
	}
	if summary.N != 4 || summary.Request.Recall != 1 {
		t.Errorf("summary %+v", summary)
	}
	if code, _, stderr := runCLI(t, nil, "eval", "-data", filepath.Join(t.TempDir(), "missing.tsv")); code == 0 || stderr == "" {
		t.Error("eval of a missing file succeeded")
	}
}

// A backup taken while the bot runs (and holds the database lock) comes
// from the bot itself, over its control socket.
func TestBackupWhileTheBotRuns(t *testing.T) {
	cfg := exampleConfig(t)
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		var out, errOut bytes.Buffer
		done <- run([]string{"run", "-config", cfg}, pr, &out, &errOut)
	}()
	if _, err := pw.Write([]byte("[intake] 小陈: 外婆突然昏迷不醒，叫不到救护车，电话13912345672\n")); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(filepath.Dir(cfg), "lifeline-data", "control.sock")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("control socket never appeared")
		}
		time.Sleep(20 * time.Millisecond)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	var found bool
	for time.Now().Before(deadline) && !found {
		code, out, stderr := runCLI(t, nil, "backup", "-config", cfg, "-o", backup)
		if code != 0 {
			t.Fatalf("backup exit %d: %s %s", code, out, stderr)
		}
		if !strings.Contains(out, "from the running bot") {
			t.Fatalf("backup did not come from the running bot: %q %q", out, stderr)
		}
		found = backupHasCase(t, backup, 1)
		if !found {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !found {
		t.Error("backup lacks case #1")
	}
	pw.Close()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("bot exited %d", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("bot did not stop after its input ended")
	}
}

func backupHasCase(t *testing.T, path string, id int64) bool {
	t.Helper()
	s, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatalf("open backup: %v", err)
	}
	defer s.Close()
	err = s.View(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Case(id)
		return err
	})
	return err == nil
}

// SIGTERM stops intake, finishes what is in flight, flushes the outbox and
// closes the store: the alert for a plea handled just before the signal is
// printed, and the process-level run returns 0.
func TestSIGTERMDrainsAndExitsCleanly(t *testing.T) {
	cfg := exampleConfig(t)
	pr, pw := io.Pipe()
	defer pw.Close()
	var out syncBuffer
	done := make(chan int, 1)
	go func() {
		var errOut bytes.Buffer
		done <- run([]string{"run", "-config", cfg}, pr, &out, &errOut)
	}()
	if _, err := pw.Write([]byte("[intake] 小陈: 外婆突然昏迷不醒，叫不到救护车，电话13912345672\n")); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(filepath.Dir(cfg), "lifeline-data", "control.sock")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "求助 #1") {
		if time.Now().After(deadline) {
			t.Fatalf("no alert before the signal; output:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("bot not fully running: %v", err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d after SIGTERM", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("bot did not stop after SIGTERM")
	}
	// The store was closed: it opens again at once, with the case in it.
	s, err := store.Open(context.Background(), filepath.Join(filepath.Dir(cfg), "lifeline-data", "lifeline.db"), store.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatalf("store still locked after shutdown: %v", err)
	}
	defer s.Close()
	if _, err := os.Stat(sock); err == nil {
		t.Error("control socket left behind")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startQuiet is startApp with no console input and its output discarded:
// the bot's own chat platforms are what the test watches.
func startQuiet(t *testing.T, cfg *config.Config) {
	t.Helper()
	startApp(t, cfg, appIO{in: strings.NewReader(""), out: io.Discard, errOut: io.Discard})
}

// startApp runs the bot with cfg until the test ends, then stops it as a
// signal would and checks it stopped cleanly.
func startApp(t *testing.T, cfg *config.Config, tio appIO) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runApp(ctx, cfg, tio) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("runApp: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("bot did not stop")
		}
	})
}
