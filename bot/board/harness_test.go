package board_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/adapters/console"
	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/bot/board"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// harness is a bot on the console adapter with a board served on a
// loopback test server, and a clock the test moves.
type harness struct {
	t       testing.TB
	e       *bot.Engine
	st      *store.Store
	b       *board.Board
	srv     *httptest.Server
	changes *env.Changes
	mu      sync.Mutex // guards clock, out and the console
	clock   time.Time
	out     bytes.Buffer
	logs    syncBuffer
	printed int
	seq     int
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

// lockedWriter lets the console print while the test reads.
type lockedWriter struct{ h *harness }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.h.mu.Lock()
	defer w.h.mu.Unlock()
	return w.h.out.Write(p)
}

func newHarness(t testing.TB, opts ...func(*board.Options)) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "lifeline.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := &harness{t: t, st: st, clock: time.Date(2026, 4, 10, 9, 0, 0, 0, time.UTC)}
	h.e, err = bot.New(ctx, bot.Options{
		Store: st, Triage: triage.Default(), Now: h.now, Location: time.UTC, Language: "en",
		Logger: slog.New(slog.NewTextHandler(&h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Admins: []string{"console:admin"},
		Groups: []bot.GroupBinding{
			{Chat: "console:intake", Role: store.RoleIntake, Name: "互助1群"},
			{Chat: "console:intake2", Role: store.RoleIntake, Name: "互助2群"},
			{Chat: "console:volunteers", Role: store.RoleCoordination, Name: "志愿者协调群"},
		},
		Outbox: bot.OutboxOptions{Jitter: func() float64 { return 0 }},
	})
	if err != nil {
		t.Fatal(err)
	}
	h.e.AddPlatform(console.New(console.Options{Out: lockedWriter{h}}))
	h.changes = env.NewChanges()
	st.OnCommit(h.changes.Publish)
	h.srv = httptest.NewUnstartedServer(nil)
	o := board.Options{PublicURL: "http://" + h.srv.Listener.Addr().String()}
	for _, f := range opts {
		f(&o)
	}
	h.b, err = board.New(h.e.Env(), h.e.Actions(), h.e.Wake, h.changes, o)
	if err != nil {
		t.Fatal(err)
	}
	h.e.SetBoard(h.b)
	h.srv.Config.Handler = h.b
	h.srv.Start()
	t.Cleanup(h.srv.Close)
	t.Cleanup(h.b.Close) // first: open event streams end, then the server
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(h.logs.String())
		}
	})
	return h
}

func (h *harness) now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.clock
}

func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clock = h.clock.Add(d)
}

// say feeds a console line "[chat] sender: text", delivers what is due,
// and returns what the bot printed.
func (h *harness) say(line string) string {
	h.t.Helper()
	chat, sender, text, err := console.ParseLine(line)
	if err != nil {
		h.t.Fatalf("bad line %q: %v", line, err)
	}
	h.mu.Lock()
	h.seq++
	id := "m" + strconv.Itoa(h.seq)
	h.mu.Unlock()
	m := bot.Message{Chat: "console:" + chat, Private: strings.HasPrefix(chat, "@"), ChatName: chat, ID: id,
		Sender: "console:" + sender, SenderName: sender, Text: text, Time: h.now()}
	if err := h.e.HandleMessage(context.Background(), m); err != nil {
		h.t.Fatalf("handle %q: %v", text, err)
	}
	return h.flush()
}

// flush delivers what is due and returns the new output.
func (h *harness) flush() string {
	h.t.Helper()
	if _, err := h.e.DeliverDue(context.Background()); err != nil {
		h.t.Fatalf("deliver: %v", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	all := h.out.String()
	s := all[h.printed:]
	h.printed = len(all)
	return s
}

// team sets up an urgent case #1 from the intake group, a volunteer "vol"
// and a coordinator "coord", each with a private chat with the bot.
func (h *harness) team() {
	h.t.Helper()
	mustContain(h.t, h.say("[intake] Li: 我妈妈胰岛素用完两天了，急需！电话 13912340000，浦东新区"), "#1")
	h.say("[@vol] vol: hi")
	mustContain(h.t, h.say("[volunteers] vol: /volunteer medical"), "registered")
	h.say("[@coord] coord: hi")
	h.say("[volunteers] coord: hello")
	mustContain(h.t, h.say("[volunteers] admin: /grant @coord coordinator"), "coordinator")
}

// seed stores n cases straight into the store (no triage, no merging):
// normal food requests from two groups, created a minute apart.
func (h *harness) seed(n int) {
	h.t.Helper()
	now := h.now()
	if err := h.st.Update(context.Background(), func(tx *store.Tx) error {
		for i := range n {
			group := []string{"console:intake", "console:intake2"}[i%2]
			c := &store.Case{Text: "需要买菜 food " + strconv.Itoa(i), Status: store.StatusNew, Urgency: triage.Normal,
				Category: triage.CatFoodSupplies, SourceChat: group, Address: []string{"浦东", "黄浦", "徐汇"}[i%3] + "区",
				Created: now.Add(-time.Duration(n-i) * time.Minute), Updated: now.Add(-time.Duration(n-i) * time.Minute)}
			if err := tx.CreateCase(c); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		h.t.Fatal(err)
	}
}

var linkRE = regexp.MustCompile(`https?://[^\s]+/board/login\?t=[A-Za-z0-9_\-%]+`)

// link asks the bot for a sign-in link as who, privately.
func (h *harness) link(who string) string {
	h.t.Helper()
	out := h.say("[@" + who + "] " + who + ": /board")
	l := linkRE.FindString(out)
	if l == "" {
		h.t.Fatalf("no sign-in link for %s in:\n%s", who, out)
	}
	return l
}

// client is a browser-like HTTP client: a cookie jar, no redirects
// followed automatically unless follow, and the board's Origin on POSTs.
type client struct {
	h   *harness
	c   *http.Client
	jar http.CookieJar
}

func (h *harness) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{h: h, jar: jar, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// signIn opens a fresh link as who and presses the button.
func (h *harness) signIn(who string) *client {
	h.t.Helper()
	c := h.client()
	link := h.link(who)
	code, body := c.get(link)
	if code != http.StatusOK || !strings.Contains(body, `name="t"`) {
		h.t.Fatalf("link page %d:\n%s", code, body)
	}
	u, _ := url.Parse(link)
	code, body = c.post("/board/login", url.Values{"t": {u.Query().Get("t")}}, h.srv.URL)
	if code != http.StatusOK || !strings.Contains(body, `id="sheet"`) {
		h.t.Fatalf("sign-in %d:\n%s", code, body)
	}
	return c
}

func (c *client) url(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return c.h.srv.URL + path
}

func (c *client) get(path string) (int, string) {
	c.h.t.Helper()
	resp, err := c.c.Get(c.url(path))
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post sends a form with Origin origin ("" for none).
func (c *client) post(path string, form url.Values, origin string) (int, string) {
	c.h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.url(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := c.c.Do(req)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the form token from a page.
func (c *client) csrf(page string) string {
	c.h.t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		c.h.t.Fatalf("no csrf token in page:\n%s", page)
	}
	return m[1]
}

// act presses an action on a case page with the page's token.
func (c *client) act(id int, form url.Values) (int, string) {
	c.h.t.Helper()
	path := "/board/case/" + strconv.Itoa(id)
	_, page := c.get(path)
	form.Set("csrf", c.csrf(page))
	return c.post(path, form, c.h.srv.URL)
}

func mustContain(t testing.TB, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("lacks %q; got:\n%s", w, got)
		}
	}
}

func mustNotContain(t testing.TB, got string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(got, b) {
			t.Errorf("has %q; got:\n%s", b, got)
		}
	}
}
