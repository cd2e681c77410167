package metrics

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

type fakeState struct {
	st  State
	err error
}

func (f *fakeState) ReadState(ctx context.Context) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	return f.st, f.err
}

var t0 = time.Date(2025, 11, 24, 17, 30, 0, 0, time.UTC)

func newTest(t *testing.T, st StateReader) (*Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := New(reg, Options{
		State:     st,
		Platforms: []string{"telegram", "wechat"},
		Now:       func() time.Time { return t0 },
		Version:   "v1.2.3", Commit: "abc1234", GoVersion: "go1.26.8",
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

// The whole exposition after a plea, an alert and some chatter, compared
// with testdata/exposition.golden (go test -update rewrites it).
func TestExpositionAfterAPlea(t *testing.T) {
	st := &fakeState{st: State{
		Outbox:      []OutboxState{{Platform: "wechat", Pending: 3, Oldest: 90 * time.Second}},
		DeadLetters: 2,
		OpenCases:   map[string]int{"critical": 1, "normal": 4},
		Platforms: []PlatformState{
			{Platform: "telegram", Up: true, LastUpdate: t0.Add(-7 * time.Second)},
			{Platform: "wechat", Up: false},
		},
	}}
	m, reg := newTest(t, st)
	m.Message("telegram", string(KindRequest))
	m.Message("telegram", string(KindChatter))
	m.Message("telegram", string(KindChatter))
	m.Message("wechat", "sticker")
	m.Request("critical")
	m.Request("apocalyptic")
	m.AlertSent()
	m.Throttled("sender")
	m.Triage(40 * time.Microsecond)
	m.Triage(3 * time.Millisecond)

	got, err := exposition(reg)
	if err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/exposition.golden"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("exposition differs from %s (go test -update to accept):\n%s", golden, got)
	}
}

// Every name the operator's dashboards and alerts rely on (issue #15).
func TestEveryDocumentedNameIsExposed(t *testing.T) {
	m, reg := newTest(t, &fakeState{st: State{Platforms: []PlatformState{{Platform: "telegram", Up: true, LastUpdate: t0}}}})
	m.Triage(time.Millisecond)
	got, err := exposition(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{
		"lifeline_messages_total{", "lifeline_requests_total{", "lifeline_alerts_sent_total ",
		"lifeline_outbox_pending{", "lifeline_outbox_oldest_seconds{", "lifeline_outbox_dead_total ",
		"lifeline_platform_up{", "lifeline_last_update_age_seconds{", "lifeline_triage_seconds_bucket{",
		"lifeline_open_cases{",
	} {
		if !strings.Contains(string(got), "\n"+name) {
			t.Errorf("exposition lacks %s", name)
		}
	}
}

func TestNilMetricsDoNothing(t *testing.T) {
	var m *Metrics
	m.Message("telegram", string(KindRequest))
	m.Request("high")
	m.AlertSent()
	m.Triage(time.Second)
	m.NotifyFailed()
}

func TestLabelsStayBounded(t *testing.T) {
	m, reg := newTest(t, nil)
	for i := range 50 {
		m.Message("telegram", strings.Repeat("x", i))
		m.Request(strings.Repeat("y", i))
	}
	if n, _ := testutil.GatherAndCount(reg, "lifeline_messages_total"); n != 2*len(Kinds) {
		t.Errorf("messages series = %d, want %d (two platforms × kinds)", n, 2*len(Kinds))
	}
	if n, _ := testutil.GatherAndCount(reg, "lifeline_requests_total"); n != len(urgencies)+1 {
		t.Errorf("requests series = %d, want %d", n, len(urgencies)+1)
	}
}

// Nothing lands on the global registry: two sets of metrics in one process
// (tests, or two engines) do not collide.
func TestRegistryIsTheCallers(t *testing.T) {
	newTest(t, nil)
	newTest(t, nil)
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "lifeline_") {
			t.Errorf("%s registered on the default registry", mf.GetName())
		}
	}
	reg := prometheus.NewRegistry()
	if _, err := New(reg, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(reg, Options{}); err == nil {
		t.Error("registering twice on one registry succeeded")
	}
}

// A failing state read leaves the counters served: the scrape answers
// with what it has and the error goes to the handler's log.
func TestStateReadErrorKeepsCounters(t *testing.T) {
	m, reg := newTest(t, &fakeState{err: errors.New("database is locked")})
	m.AlertSent()
	var logged strings.Builder
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, ErrorLog: logWriter{&logged}})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if !strings.Contains(rec.Body.String(), "lifeline_alerts_sent_total 1") {
		t.Errorf("counters missing:\n%s", rec.Body)
	}
	if strings.Contains(rec.Body.String(), "lifeline_outbox_pending") {
		t.Error("gauges served from a failed read")
	}
	if !strings.Contains(logged.String(), "database is locked") {
		t.Errorf("error not logged: %q", logged.String())
	}
}

type logWriter struct{ b *strings.Builder }

func (l logWriter) Println(v ...any) {
	for _, x := range v {
		if e, ok := x.(error); ok {
			l.b.WriteString(e.Error())
		}
	}
}

// exposition is the registry's text format, as a scrape would see it.
func exposition(g prometheus.Gatherer) ([]byte, error) {
	mfs, err := g.Gather()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), nil
}
