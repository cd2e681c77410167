package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// One help text, wherever it is asked for, on stdout, exit 0.
func TestOneHelpText(t *testing.T) {
	for _, args := range [][]string{
		{"help"}, {"-h"}, {"--help"}, {"-help"},
		{"run", "-h"}, {"run", "--help"}, {"eval", "-h"}, {"backup", "--help"}, {"health", "-h"}, {"version", "-h"},
		{"run", "help"},
	} {
		code, out, stderr := runCLI(t, nil, args...)
		if code != 0 || out != usage || stderr != "" {
			t.Errorf("%v: exit %d, stdout %q…, stderr %q; want 0 and the help text", args, code, firstLine(out), stderr)
		}
	}
	for _, cmd := range []string{"run", "eval", "backup", "health", "version", "help", "-config", "-data", "-json", "-errors", "-lexicon", "-o", "-url", "-timeout"} {
		if !strings.Contains(usage, cmd) {
			t.Errorf("help text does not mention %s", cmd)
		}
	}
}

// A mistake on the command line says what it is once, points at the help
// and exits 2.
func TestUsageErrorsExit2AndPrintOnce(t *testing.T) {
	tests := []struct {
		args []string
		says string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"run", "-nope"}, "run: flag provided but not defined: -nope"},
		{[]string{"-nope"}, "run: flag provided but not defined: -nope"},
		{[]string{"run", "extra"}, `run: unexpected argument "extra"`},
		{[]string{"eval"}, "eval: -data FILE.tsv is required"},
		{[]string{"eval", "-data"}, "eval: flag needs an argument: -data"},
		{[]string{"backup"}, "backup: -o OUT is required"},
		{[]string{"health"}, "health: give -config FILE"},
		{[]string{"health", "-timeout", "soon"}, `health: invalid value "soon" for flag -timeout`},
		{[]string{"version", "now"}, `version: unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Setenv("LIFELINE_CONFIG", "")
		code, out, stderr := runCLI(t, nil, tt.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", tt.args, code)
		}
		if out != "" {
			t.Errorf("%v: stdout %q", tt.args, out)
		}
		if strings.Count(stderr, tt.says) != 1 || strings.Count(stderr, "lifeline:") != 1 || !strings.Contains(stderr, "lifeline help") {
			t.Errorf("%v: stderr %q, want %q once and a pointer to the help", tt.args, stderr, tt.says)
		}
		if strings.Contains(stderr, "eval: eval:") || strings.Contains(stderr, "Usage of") {
			t.Errorf("%v: stderr %q", tt.args, stderr)
		}
	}
}

func TestVersionSaysVersionCommitAndGo(t *testing.T) {
	code, out, _ := runCLI(t, nil, "version")
	if code != 0 || !regexp.MustCompile(`^lifeline \S+ \(commit \S+, go1\.\d+`).MatchString(out) || !strings.Contains(out, runtime.Version()) {
		t.Errorf("version: %d %q", code, out)
	}
	defer func(v, c string) { version, commit = v, c }(version, commit)
	version, commit = "v1.4.0", "0123abc"
	if b := readBuildInfo(); b.String() != "lifeline v1.4.0 (commit 0123abc, "+runtime.Version()+")" {
		t.Errorf("with ldflags: %s", b)
	}
}

func TestHealth(t *testing.T) {
	var ready atomic.Bool
	ready.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		if !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("not ready\nFAIL  coordination: unreachable\n"))
			return
		}
		w.Write([]byte("ready\nok    store\n"))
	}))
	defer srv.Close()
	code, out, stderr := runCLI(t, nil, "health", "-url", srv.URL+"/readyz")
	if code != 0 || out != "ready\nok    store\n" || stderr != "" {
		t.Errorf("ready: exit %d, %q, %q", code, out, stderr)
	}
	ready.Store(false)
	code, out, stderr = runCLI(t, nil, "health", "-url", srv.URL+"/readyz")
	if code != 1 || !strings.Contains(out, "FAIL  coordination") || !strings.Contains(stderr, "not ready (503") {
		t.Errorf("not ready: exit %d, %q, %q", code, out, stderr)
	}

	// The URL comes from http.listen in the config, also through
	// $LIFELINE_CONFIG as in the container image.
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("platforms: {console: {enabled: true}}\nhttp: {listen: \""+strings.TrimPrefix(srv.URL, "http://")+"\"}\n"), 0o600)
	ready.Store(true)
	t.Setenv("LIFELINE_CONFIG", cfg)
	if code, out, stderr := runCLI(t, nil, "health"); code != 0 || !strings.HasPrefix(out, "ready") {
		t.Errorf("health via $LIFELINE_CONFIG: exit %d, %q, %q", code, out, stderr)
	}
	srv.Close()
	if code, _, stderr := runCLI(t, nil, "health"); code != 1 || !strings.Contains(stderr, "is the bot running?") {
		t.Errorf("nothing listening: exit %d, %q", code, stderr)
	}
	os.WriteFile(cfg, []byte("platforms: {console: {enabled: true}}\n"), 0o600)
	if code, _, stderr := runCLI(t, nil, "health"); code != 1 || !strings.Contains(stderr, "http.listen is empty") {
		t.Errorf("no listener configured: exit %d, %q", code, stderr)
	}
}

func TestReadyURL(t *testing.T) {
	for listen, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080/readyz",
		":8080":          "http://127.0.0.1:8080/readyz",
		"0.0.0.0:9000":   "http://127.0.0.1:9000/readyz",
		"[::]:8080":      "http://[::1]:8080/readyz",
		"[::1]:8080":     "http://[::1]:8080/readyz",
		"localhost:8080": "http://localhost:8080/readyz",
	} {
		if got, err := readyURL(listen); err != nil || got != want {
			t.Errorf("readyURL(%q) = %q, %v; want %q", listen, got, err, want)
		}
	}
	for _, bad := range []string{"", "127.0.0.1:0", "nonsense"} {
		if _, err := readyURL(bad); err == nil {
			t.Errorf("readyURL(%q) succeeded", bad)
		}
	}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }
