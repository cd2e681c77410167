package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// asBinaryEnv makes the test binary run main's code instead of the tests,
// so a test can start "the binary" as a separate process.
const asBinaryEnv = "LIFELINE_TEST_AS_BINARY"

func TestMain(m *testing.M) {
	if os.Getenv(asBinaryEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// binary is a running lifeline process.
type binary struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *syncBuffer
	errOut *syncBuffer
	exited chan struct{} // closed when the process has exited
	err    error         // its exit, once exited is closed
}

func startBinary(t *testing.T, env []string, args ...string) *binary {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), asBinaryEnv+"=1", "GOCOVERDIR="), env...)
	b := &binary{cmd: cmd, out: &syncBuffer{}, errOut: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = b.out, b.errOut
	var err error
	if b.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		b.err = cmd.Wait()
		close(b.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // fails harmlessly when it has exited
		<-b.exited
	})
	return b
}

var listening = regexp.MustCompile(`msg="http listening" addr=(\S+)`)

// httpAddr waits for the log line that names the listener's address. It
// comes after the triage engine is built: slow under -race on a busy
// 2-core machine, hence the long wait.
func (b *binary) httpAddr(t *testing.T) string {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if m := listening.FindStringSubmatch(b.errOut.String()); m != nil {
			return m[1]
		}
		select {
		case <-b.exited:
			t.Fatalf("lifeline exited (%v) before listening:\n%s", b.err, b.errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("lifeline never listened:\n%s", b.errOut.String())
		}
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// The binary with the console and http.listen on a free loopback port:
// /healthz answers, /readyz names every check and is ready, a plea shows
// in /metrics, `lifeline health` agrees; unbinding the only coordination
// chat makes it unready (and `lifeline health` exit 1); SIGTERM drains
// and exits 0.
func TestBinaryServesHealthReadinessAndMetrics(t *testing.T) {
	cfg := exampleConfig(t)
	b := startBinary(t, nil, "run", "-config", cfg)
	addr := b.httpAddr(t)
	base := "http://" + addr

	if code, body := httpGet(t, base+"/healthz"); code != 200 || !strings.HasPrefix(body, "ok ") {
		t.Errorf("/healthz = %d %q", code, body)
	}
	// The listener comes up before the console adapter reports running:
	// wait for readiness rather than reading it once.
	var code int
	var body string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		code, body = httpGet(t, base+"/readyz")
		if code == 200 || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range []string{"ok    store", "?     platform console: unknown: running", "ok    coordination", "ok    outbox"} {
		if !strings.Contains(body, want) {
			t.Errorf("/readyz lacks %q:\n%s", want, body)
		}
	}
	if code != 200 || !strings.HasPrefix(body, "ready\n") {
		t.Errorf("/readyz = %d:\n%s", code, body)
	}

	fmt.Fprintln(b.stdin, "[intake] 小陈: 外婆突然昏迷不醒，叫不到救护车，闵行莘庄，电话13912345672")
	// The first message builds the triage engine: slow under -race on a
	// busy 2-core machine, hence the long wait.
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(b.out.String(), "求助 #1") {
		if time.Now().After(deadline) {
			t.Fatalf("no alert; stdout:\n%s\nlog:\n%s", b.out.String(), b.errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, metrics := httpGet(t, base+"/metrics")
	for _, want := range []string{
		`lifeline_messages_total{kind="request",platform="console"} `,
		`lifeline_requests_total{urgency="critical"} `,
		"lifeline_alerts_sent_total ",
		`lifeline_outbox_pending{platform="console"} `,
		`lifeline_outbox_oldest_seconds{platform="console"} `,
		"lifeline_outbox_dead_total 0",
		`lifeline_platform_up{platform="console"} 1`,
		"lifeline_triage_seconds_bucket{",
		`lifeline_open_cases{urgency="critical"} 1`,
		`lifeline_build_info{`,
		"go_goroutines ",
	} {
		if !strings.Contains(metrics, "\n"+want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// Counted, not only declared: the plea above was triaged, recorded as a
	// critical request and alerted. The alert may still be on its way.
	metrics = waitFor(t, func() (string, bool) {
		_, body := httpGet(t, base+"/metrics")
		return body, metricValue(body, "lifeline_alerts_sent_total") >= 1
	})
	for _, series := range []string{
		`lifeline_messages_total{kind="request",platform="console"}`,
		`lifeline_requests_total{urgency="critical"}`,
		"lifeline_alerts_sent_total",
		"lifeline_triage_seconds_count",
	} {
		if v := metricValue(metrics, series); v < 1 {
			t.Errorf("%s = %v after a critical plea, want ≥ 1", series, v)
		}
	}
	if code, out, stderr := runCLI(t, nil, "health", "-url", base+"/readyz"); code != 0 {
		t.Errorf("lifeline health while ready: exit %d\n%s%s", code, out, stderr)
	}

	fmt.Fprintln(b.stdin, "[volunteers] admin: /bind none")
	body = waitFor(t, func() (string, bool) {
		code, body := httpGet(t, base+"/readyz")
		return body, code == 503
	})
	if !strings.Contains(body, "FAIL  coordination: no coordination chat is bound") {
		t.Errorf("/readyz when no chat can receive alerts:\n%s", body)
	}
	if code, out, _ := runCLI(t, nil, "health", "-url", base+"/readyz"); code != 1 || !strings.Contains(out, "FAIL  coordination") {
		t.Errorf("lifeline health while not ready: exit %d\n%s", code, out)
	}

	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.exited:
		if b.err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", b.err, b.errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit after SIGTERM")
	}
	if !strings.Contains(b.errOut.String(), "lifeline stopped") {
		t.Errorf("log does not end with a clean stop:\n%s", b.errOut.String())
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("still listening after exit")
	}
}

// A port already in use fails the start at once, naming the key.
func TestHTTPPortInUseFailsTheStart(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("platforms: {console: {enabled: true}}\nhttp: {listen: %q}\n", ln.Addr())), 0o600)
	code, _, stderr := runCLI(t, strings.NewReader(""), "run", "-config", cfg)
	if code != 1 || !strings.Contains(stderr, "http.listen "+ln.Addr().String()) || !strings.Contains(stderr, "address already in use") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// metricValue reads one series' value from a Prometheus text exposition;
// -1 when the series is absent.
func metricValue(exposition, series string) float64 {
	for _, line := range strings.Split(exposition, "\n") {
		rest, ok := strings.CutPrefix(line, series+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			return -1
		}
		return v
	}
	return -1
}
