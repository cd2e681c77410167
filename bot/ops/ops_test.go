package ops

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

func check(name string, err error) Check {
	return Check{Name: name, Run: func(context.Context) error { return err }}
}

func TestReadyzNamesEachCheck(t *testing.T) {
	tests := []struct {
		name   string
		checks []Check
		code   int
		body   string
	}{
		{"all pass", []Check{check("store", nil), check("platform telegram", nil)}, 200,
			"ready\nok    store\nok    platform telegram\n"},
		{"unknown does not fail", []Check{check("store", nil), check("platform console", ErrUnknown)}, 200,
			"ready\nok    store\n?     platform console: unknown\n"},
		{"one failure", []Check{check("store", nil), check("coordination", errors.New("unreachable: telegram:-100222"))}, 503,
			"not ready\nok    store\nFAIL  coordination: unreachable: telegram:-100222\n"},
		{"no checks", nil, 200, "ready\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHandler(Options{Checks: tt.checks})
			code, body := get(t, h, "/readyz")
			if code != tt.code || body != tt.body {
				t.Errorf("GET /readyz = %d %q, want %d %q", code, body, tt.code, tt.body)
			}
		})
	}
}

func TestHealthzAnswersWhateverTheChecksSay(t *testing.T) {
	h := NewHandler(Options{Checks: []Check{check("store", errors.New("closed"))}, Version: "v1.0.0"})
	if code, body := get(t, h, "/healthz"); code != 200 || body != "ok v1.0.0\n" {
		t.Errorf("GET /healthz = %d %q", code, body)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/healthz", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d", rec.Code)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Error("no Cache-Control: no-store")
	}
}

// A check stuck on a dying disk, or one that panics, fails by name; the
// others still answer.
func TestReadyzBoundsStuckAndPanickingChecks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		disk := make(chan struct{}) // never answers while the test runs
		defer close(disk)
		stuck := Check{Name: "store", Run: func(context.Context) error { <-disk; return nil }}
		panics := Check{Name: "outbox", Run: func(context.Context) error { panic("nil map") }}
		h := NewHandler(Options{Checks: []Check{stuck, panics, check("coordination", nil)}, CheckTimeout: time.Second})
		code, body := get(t, h, "/readyz")
		want := "not ready\nFAIL  store: no answer within 1s\nFAIL  outbox: check panicked: nil map\nok    coordination\n"
		if code != 503 || body != want {
			t.Errorf("GET /readyz = %d %q, want 503 %q", code, body, want)
		}
	})
}

func TestMetricsAndMountedHandlers(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "lifeline_up 1\n") })
	h := NewHandler(Options{Metrics: metrics})
	h.Handle("/board/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "board") }))
	if code, body := get(t, h, "/metrics"); code != 200 || body != "lifeline_up 1\n" {
		t.Errorf("GET /metrics = %d %q", code, body)
	}
	if code, body := get(t, h, "/board/cases"); code != 200 || body != "board" {
		t.Errorf("GET /board/cases = %d %q", code, body)
	}
	if code, _ := get(t, NewHandler(Options{}), "/metrics"); code != 404 {
		t.Errorf("GET /metrics without metrics = %d, want 404", code)
	}
}

// Serve answers until its context ends, then lets the request in flight
// finish before it returns.
func TestServeFinishesRequestsInFlight(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "done")
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, mux, 10*time.Second, nil) }()
	answer := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			answer <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answer <- string(b)
	}()
	<-started
	cancel()
	close(release)
	if got := <-answer; got != "done" {
		t.Errorf("request in flight got %q", got)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve = %v", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/slow"); err == nil {
		t.Error("still answering after shutdown")
	}
}

// Watch reports a change of state once it has held for two runs, and
// not again while the same checks keep failing.
func TestWatchReportsChangesOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The outbox check's state per run: ok ok FAIL ok(blip) FAIL FAIL FAIL ok ok.
		states := []bool{true, true, false, true, false, false, false, true, true}
		var run atomic.Int32
		outbox := Check{Name: "outbox", Run: func(context.Context) error {
			i := int(run.Add(1)) - 1
			if i < len(states) && !states[i] {
				return errors.New("stuck (telegram: 3 waiting, oldest " + time.Duration(i).String() + ")")
			}
			return nil
		}}
		var reports []string
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go Watch(ctx, []Check{check("store", nil), outbox}, time.Minute, time.Second, func(r Report) {
			reports = append(reports, strings.Join(r.Failing(), "; "))
		})
		time.Sleep(time.Duration(len(states))*time.Minute - time.Second)
		synctest.Wait()
		cancel()
		synctest.Wait()
		want := []string{"outbox: stuck (telegram: 3 waiting, oldest 5ns)", ""}
		if strings.Join(reports, "|") != strings.Join(want, "|") {
			t.Errorf("reports = %q, want %q", reports, want)
		}
	})
}
