// Package wechat connects Lifeline to WeChat through the unofficial web
// protocol in its UOS desktop flavour, using github.com/eatmoreapple/openwechat
// v1.4.8.
//
// The protocol is unofficial: many accounts cannot log in through it at all,
// and accounts have been banned for bot use. Use a dedicated account, keep
// volumes modest, and prefer Telegram where people can use it. README.md in
// this directory explains set-up, the identity scheme and its limits.
package wechat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
)

// platformName is the prefix of every WeChat chat and person ref.
const platformName = "wechat"

// maxTextRunes is where long texts are split. WeChat accepts longer texts,
// but very long ones are folded on phones and 2,000 keeps every part readable.
const maxTextRunes = 2000

// ErrRoomUnavailable is wrapped by OpenRoom when WeChat cannot give a case a
// room of its own; the error message says why, and the engine falls back to
// a thread in the coordination chat.
var ErrRoomUnavailable = errors.New("wechat room unavailable")

// ErrNotLoggedIn is wrapped by Send while the account is logging in again;
// the outbox retries it later.
var ErrNotLoggedIn = errors.New("wechat is not logged in")

// StateStore keeps the adapter's small persistent state (the identity
// mapping, known group names, room counts). GetState returns nil, nil for an
// absent key. The bbolt store implements it.
type StateStore interface {
	GetState(ctx context.Context, key string) ([]byte, error)
	PutState(ctx context.Context, key string, val []byte) error
}

// Options configure an Adapter. Zero values take the documented defaults.
type Options struct {
	// SessionFile is the hot-login storage path (inside the data directory).
	// It holds session cookies: keep it private.
	SessionFile string
	// Endpoint, when set (for example "http://127.0.0.1:18090"), receives
	// every WeChat web request instead of WeChat's hosts, so the bot can run
	// against a fake server such as wechattest.
	Endpoint string
	// MinGap and MaxGap bound the random pause between two sends
	// (default 1s and 3s).
	MinGap, MaxGap time.Duration
	// HourlyCap is the most messages sent in any hour (default 300).
	HourlyCap int
	// RoomsPerDay is the most groups created in any 24 hours (default 10).
	RoomsPerDay int
	// AcceptFriends makes the bot accept friend requests.
	AcceptFriends bool
	// State keeps the identity mapping across restarts. Nil keeps it in
	// memory only, which loses person ids on restart.
	State StateStore
	// Logger receives the adapter's logs (default slog.Default() with
	// platform=wechat).
	Logger *slog.Logger
	// OnLoginNeeded is called when the session died and a fresh QR scan is
	// needed, so the engine can tell admins on other platforms. It is
	// called again, at most every 15 minutes, while nobody scans.
	OnLoginNeeded func(ctx context.Context, qrURL string)
	// OnAdminNotice is called with advice for admins, for example when a
	// group the bot serves seems to have been renamed by hand.
	OnAdminNotice func(ctx context.Context, text string)
	// QROut receives the login QR code as text blocks (default os.Stdout).
	QROut io.Writer
	// StartTimeout bounds the reachability check at start (default 20s):
	// with no network, Run fails within it instead of hanging.
	StartTimeout time.Duration
}

// Adapter is the WeChat platform. Create it with New and start it with Run.
type Adapter struct {
	opts      Options
	log       *slog.Logger
	state     StateStore
	transport http.RoundTripper
	queue     chan bot.Message
	running   atomic.Bool

	mu   sync.Mutex
	sess *session

	// sendSem serializes every outgoing operation (sends, group creation,
	// renames); the pacing fields below are only touched while holding it.
	sendSem     chan struct{}
	nextSend    time.Time
	sendTimes   []time.Time
	pausedUntil time.Time
	tooOften    int
	// tooOftenBase is the first back-off after "operating too often".
	tooOftenBase time.Duration

	idMu     sync.Mutex // identity assignment
	roomMu   sync.Mutex // room-creation counting
	groupsMu sync.Mutex // the known-groups record in State

	notifyMu     sync.Mutex
	lastNotified time.Time

	statusMu sync.Mutex
	status   bot.PlatformStatus
}

var _ bot.StatusReporter = (*Adapter)(nil)

// Status says whether the account is logged in and syncing, when WeChat
// last answered a sync, why it is down, and while a QR scan is needed the
// login URL to encode in the code (the same content the terminal shows).
func (a *Adapter) Status() bot.PlatformStatus {
	a.statusMu.Lock()
	defer a.statusMu.Unlock()
	return a.status
}

func (a *Adapter) setStatus(f func(s *bot.PlatformStatus)) {
	a.statusMu.Lock()
	defer a.statusMu.Unlock()
	f(&a.status)
}

// down marks the platform down for why, keeping the last sync time.
func (a *Adapter) down(why string) {
	a.setStatus(func(s *bot.PlatformStatus) { s.Up, s.Detail = false, why })
}

var (
	_ bot.Platform    = (*Adapter)(nil)
	_ bot.RoomOpener  = (*Adapter)(nil)
	_ bot.MemberAdder = (*Adapter)(nil)
)

// New checks the options and builds an Adapter. It does not touch the
// network; Run logs in.
func New(opts Options) (*Adapter, error) {
	if opts.SessionFile == "" {
		return nil, errors.New("wechat: missing session_file (hot-login storage path)")
	}
	if opts.MinGap == 0 && opts.MaxGap == 0 {
		opts.MinGap, opts.MaxGap = time.Second, 3*time.Second
	}
	if opts.MinGap < 0 || opts.MaxGap < opts.MinGap {
		return nil, fmt.Errorf("wechat: send gaps must satisfy 0 <= min_gap <= max_gap, got %s and %s", opts.MinGap, opts.MaxGap)
	}
	if opts.HourlyCap == 0 {
		opts.HourlyCap = 300
	}
	if opts.RoomsPerDay == 0 {
		opts.RoomsPerDay = 10
	}
	if opts.HourlyCap < 0 || opts.RoomsPerDay < 0 {
		return nil, errors.New("wechat: hourly_cap and rooms_per_day must not be negative")
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 20 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default().With("platform", platformName)
	}
	if opts.QROut == nil {
		opts.QROut = os.Stdout
	}
	tr, err := newTransport(opts.Endpoint)
	if err != nil {
		return nil, err
	}
	state := opts.State
	if state == nil {
		state = newMemState()
	}
	return &Adapter{
		opts:         opts,
		log:          opts.Logger,
		state:        state,
		transport:    tr,
		queue:        make(chan bot.Message, 256),
		sendSem:      make(chan struct{}, 1),
		tooOftenBase: time.Minute,
		status:       bot.PlatformStatus{Detail: "not started"},
	}, nil
}

// Name is the prefix of WeChat refs.
func (a *Adapter) Name() string { return platformName }

// Limits tells the outbox the hourly cap; the adapter paces every send
// itself as well, so the outbox need not know the jitter.
func (a *Adapter) Limits() bot.Limits {
	return bot.Limits{
		Global:       bot.Rate{N: a.opts.HourlyCap, Period: time.Hour},
		MaxTextRunes: maxTextRunes,
		NoEdits:      true,
	}
}

// Run logs in and hands incoming messages to h until ctx is cancelled. It
// fails at once, within Options.StartTimeout, when WeChat cannot be reached
// at start; later network trouble and dead sessions are retried with
// back-off. It returns nil after ctx is cancelled.
func (a *Adapter) Run(ctx context.Context, h bot.Handler) error {
	if h == nil {
		return errors.New("wechat: run: nil handler")
	}
	if !a.running.CompareAndSwap(false, true) {
		return errors.New("wechat: run: already running")
	}
	defer a.running.Store(false)

	var wg sync.WaitGroup
	defer wg.Wait()
	dctx, stop := context.WithCancel(ctx)
	defer stop()
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.dispatch(dctx, h)
	}()

	a.down("logging in")
	defer a.down("stopped")
	if err := a.probe(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		a.down(err.Error())
		return err
	}
	relogin := false
	for {
		sess, err := a.login(ctx, relogin)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		// Load contacts before publishing the session: a send that came
		// earlier would find no groups and fail for good.
		if err := a.refreshContacts(sess.ctx, sess); err != nil {
			a.log.Warn("wechat: could not load the contact list; retrying at the first send", "err", err)
		} else {
			sess.mayRefresh(0)
		}
		a.setSession(sess)
		a.setStatus(func(s *bot.PlatformStatus) {
			s.Up, s.Detail, s.LoginURL, s.LastUpdate = true, "", "", time.Now()
		})
		select {
		case <-sess.bot.Context().Done():
		case <-ctx.Done():
		}
		a.setSession(nil)
		sess.cancel()
		if ctx.Err() != nil {
			a.down("stopped")
			a.log.Info("wechat: stopped")
			return nil
		}
		a.down("session ended, logging in again: " + sess.endReason().Error())
		a.log.Warn("wechat: session ended, logging in again", "reason", sess.endReason())
		relogin = true
	}
}

// probe checks that the WeChat login host answers at all, so a start with no
// network fails with a clear error instead of hanging in login retries.
func (a *Adapter) probe(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, a.opts.StartTimeout)
	defer cancel()
	target := "https://login.wx.qq.com/"
	req, err := http.NewRequestWithContext(pctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("wechat: build reachability check: %w", err)
	}
	client := &http.Client{
		Transport:     a.transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		where := "login.wx.qq.com"
		if a.opts.Endpoint != "" {
			where = a.opts.Endpoint
		}
		return fmt.Errorf("wechat: cannot reach the WeChat login server %s within %s (is the network up?): %w",
			where, a.opts.StartTimeout, err)
	}
	_ = resp.Body.Close()
	return nil
}

func (a *Adapter) setSession(s *session) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sess = s
}

func (a *Adapter) session() *session {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sess
}

// dispatch hands queued messages to the engine in arrival order. It runs in
// its own goroutine so the library's sync loop never waits on the engine.
//
// Messages already queued together (one sync usually brings several) go
// to a bot.BatchHandler as one batch, recorded in one commit.
func (a *Adapter) dispatch(ctx context.Context, h bot.Handler) {
	bh, batches := h.(bot.BatchHandler)
	for {
		var m bot.Message
		select {
		case <-ctx.Done():
			return
		case m = <-a.queue:
		}
		group := []bot.Message{m}
	more:
		for batches && len(group) < cap(a.queue) {
			select {
			case next := <-a.queue:
				group = append(group, next)
			default:
				break more
			}
		}
		if len(group) > 1 && a.deliverBatch(ctx, bh, group) {
			continue
		}
		for _, m := range group {
			a.deliver(ctx, h, m)
		}
	}
}

// deliverBatch hands a batch over, trying a few times: WeChat will not
// deliver these messages again. It reports false when the batch was not
// recorded, and the messages are then tried one at a time.
func (a *Adapter) deliverBatch(ctx context.Context, bh bot.BatchHandler, msgs []bot.Message) bool {
	wait := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := bh.HandleBatch(ctx, bot.Batch{Messages: msgs})
		if err == nil {
			return true
		}
		if ctx.Err() != nil || attempt == 3 {
			a.log.Warn("wechat: engine did not record a batch; handing the messages over one at a time", "messages", len(msgs), "err", err)
			return false
		}
		if !sleep(ctx, wait) {
			return false
		}
		wait *= 2
	}
}

// deliver retries a failed hand-over a few times: WeChat will not deliver
// the message again, so giving up loses it.
func (a *Adapter) deliver(ctx context.Context, h bot.Handler, m bot.Message) {
	wait := time.Second
	for attempt := 1; ; attempt++ {
		err := h.HandleMessage(ctx, m)
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			return
		}
		if attempt == 5 {
			a.log.Error("wechat: engine did not record a message; dropped", "chat", m.Chat, "msg", m.ID, "err", err)
			return
		}
		a.log.Warn("wechat: engine did not record a message; retrying", "chat", m.Chat, "msg", m.ID, "attempt", attempt, "err", err)
		if !sleep(ctx, wait) {
			return
		}
		wait *= 2
	}
}

// enqueue passes a message to the dispatcher without losing it: when the
// queue is full it logs and blocks the sync loop until there is room.
func (a *Adapter) enqueue(ctx context.Context, m bot.Message) {
	select {
	case a.queue <- m:
		return
	default:
	}
	a.log.Warn("wechat: incoming queue full; holding the sync loop until the engine catches up", "chat", m.Chat, "msg", m.ID)
	select {
	case a.queue <- m:
	case <-ctx.Done():
		a.log.Error("wechat: shutting down with a message not handed to the engine", "chat", m.Chat, "msg", m.ID)
	}
}

// newTransport returns the HTTP transport every client shares. With an
// endpoint it rewrites each request's scheme and host to it, keeping the
// path, so login, sync and file hosts all reach the one fake server.
func newTransport(endpoint string) (http.RoundTripper, error) {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.TLSHandshakeTimeout = 10 * time.Second
	if endpoint == "" {
		return base, nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("wechat: endpoint %q is not an http(s) URL", endpoint)
	}
	return &rewriteTransport{base: base, scheme: u.Scheme, host: u.Host}, nil
}

type rewriteTransport struct {
	base         http.RoundTripper
	scheme, host string
}

func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.URL.Scheme = t.scheme
	r.URL.Host = t.host
	r.Host = t.host
	r.Header.Set("X-Wechat-Host", req.URL.Host)
	return t.base.RoundTrip(r)
}

// secretParam matches the session keys WeChat URLs carry in their query.
var secretParam = regexp.MustCompile(`((?:skey|sid|pass_ticket|ticket|uin|deviceid|uuid|synckey)=)[^&"\s]+`)

// redacted masks session keys in an error's text (openwechat's errors quote
// whole request URLs) while keeping it inspectable with errors.Is and As.
type redacted struct{ err error }

func (r redacted) Error() string { return secretParam.ReplaceAllString(r.err.Error(), "${1}REDACTED") }
func (r redacted) Unwrap() error { return r.err }

// redact wraps err so its text never shows session keys.
func redact(err error) error {
	if err == nil {
		return nil
	}
	var r redacted
	if errors.As(err, &r) {
		return err
	}
	return redacted{err}
}

// sleep waits d or until ctx is done; it reports whether the wait finished.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// backoff doubles from min to max with ±20% jitter.
type backoff struct {
	min, max time.Duration
	n        int
}

func (b *backoff) next() time.Duration {
	d := b.min << min(b.n, 20)
	if d > b.max || d <= 0 {
		d = b.max
	}
	b.n++
	j := time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
	return j
}

func (b *backoff) reset() { b.n = 0 }

// memState is the in-memory StateStore used when none is configured.
type memState struct {
	mu sync.Mutex
	m  map[string][]byte
}

func newMemState() *memState { return &memState{m: map[string][]byte{}} }

func (s *memState) GetState(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[key]
	if !ok {
		return nil, nil
	}
	return append([]byte(nil), v...), nil
}

func (s *memState) PutState(_ context.Context, key string, val []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = append([]byte(nil), val...)
	return nil
}
