package main

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

var boardLink = regexp.MustCompile(`http://[^\s]+/board/login\?t=([A-Za-z0-9_\-]+)`)

// The binary with the example configuration serves the board on its
// listener: /board sends a link, the link signs in, the sheet shows the
// case, and SIGTERM with a live stream open still stops at once.
func TestBinaryServesTheBoard(t *testing.T) {
	b := startBinary(t, nil, "run", "-config", exampleConfig(t))
	base := "http://" + b.httpAddr(t)
	fmt.Fprintln(b.stdin, "[intake] 小陈: 外婆突然昏迷不醒，叫不到救护车，闵行莘庄，电话13912345672")
	fmt.Fprintln(b.stdin, "[@admin] admin: /board")
	var m []string
	for deadline := time.Now().Add(2 * time.Minute); m == nil; time.Sleep(20 * time.Millisecond) {
		if m = boardLink.FindStringSubmatch(b.out.String()); m == nil && time.Now().After(deadline) {
			t.Fatalf("no sign-in link; stdout:\n%s\nlog:\n%s", b.out.String(), b.errOut.String())
		}
	}
	if !strings.HasPrefix(m[0], base+"/board/login") {
		t.Fatalf("link %s does not point at the listener %s", m[0], base)
	}
	// Continuation lines are indented: the message holding the link starts
	// at the last line that starts with its chat.
	out := b.out.String()
	head := out[:strings.Index(out, m[0])]
	head = head[strings.LastIndex(head, "\n[")+1:]
	if !strings.HasPrefix(head, "[@admin] lifeline") {
		t.Errorf("link outside the private chat: %s", head)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	req, _ := http.NewRequest(http.MethodPost, base+"/board/login", strings.NewReader(url.Values{"t": {m[1]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page := new(strings.Builder)
	_, _ = bufio.NewReader(resp.Body).WriteTo(page)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(page.String(), `id="case-1"`) || !strings.Contains(page.String(), "昏迷") {
		t.Fatalf("sheet after sign-in: %d\n%s", resp.StatusCode, page.String())
	}
	// An open live stream must not hold up the stop.
	stream, err := (&http.Client{Jar: jar}).Get(base + "/board/events")
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("events: %v %v", err, stream)
	}
	defer stream.Body.Close()
	start := time.Now()
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.exited:
		if b.err != nil {
			t.Errorf("exit: %v", b.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit after SIGTERM with a board open")
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("stopping took %v with a board open (the listener waited for it)", d)
	}
}
