package board_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestChatChangeReachesOpenBoardsWithinASecond(t *testing.T) {
	h := newHarness(t)
	h.team()
	c := h.signIn("vol")
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/board/events", nil)
	resp, err := (&http.Client{Jar: c.jar}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, ct)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// Wait until the stream is subscribed (its first bytes arrived).
	if l := <-lines; !strings.HasPrefix(l, "retry:") {
		t.Fatalf("first line %q", l)
	}
	start := time.Now()
	mustContain(t, h.say("[volunteers] coord: /claim 1"), "yours")
	deadline := time.After(time.Second)
	for got := false; !got; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("stream ended")
			}
			got = l == "data: [1]"
		case <-deadline:
			t.Fatal("no change event within a second of /claim")
		}
	}
	t.Logf("chat /claim → event on the board: %v", time.Since(start))
	// The rows the page then fetches show the holder.
	_, rows := c.get("/board/?fragment=rows")
	mustContain(t, rows, `id="case-1"`, "coord")
	mustNotContain(t, rows, "<nav>")
}
