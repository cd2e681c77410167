package wechat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/lifeline-aid/lifeline/bot"
)

// session is one logged-in openwechat client. A dead session is never
// revived: Run logs in again with a new client on the same session file.
type session struct {
	bot    *openwechat.Bot
	ctx    context.Context
	cancel context.CancelFunc
	// Captured once the login finished, before anything else reads them:
	// the library never changes them for the life of the client.
	self     string
	selfNick string
	info     *openwechat.LoginInfo
	req      *openwechat.BaseRequest
	dir      *directory

	// Touched only by the library's sync goroutine.
	syncFails int
	syncBack  backoff

	mu        sync.Mutex
	reason    error
	refreshed time.Time
}

// mayRefresh reports whether the contact list may be reloaded now, at most
// once per interval, and if so counts this as the reload.
func (s *session) mayRefresh(interval time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.refreshed) < interval {
		return false
	}
	s.refreshed = time.Now()
	return true
}

// kill ends the session with a reason; Run notices and logs in again.
func (s *session) kill(reason error) {
	s.mu.Lock()
	if s.reason == nil {
		s.reason = reason
	}
	s.mu.Unlock()
	s.cancel()
}

func (s *session) endReason() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reason == nil {
		return errors.New("sync loop stopped")
	}
	return s.reason
}

// login logs in, retrying until it works or ctx ends: hot login from the
// session file first (silent), then push login (a prompt on the phone), then
// a QR scan. Network trouble and refusals back off.
func (a *Adapter) login(ctx context.Context, relogin bool) (*session, error) {
	bo := backoff{min: 2 * time.Second, max: 5 * time.Minute}
	expired := 0
	for {
		sess, err := a.loginOnce(ctx, relogin)
		err = redact(err)
		if err == nil {
			return sess, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var wait time.Duration
		switch {
		case errors.Is(err, openwechat.ErrLoginTimeout):
			expired++
			a.log.Info("wechat: the QR code expired without a scan; showing a new one")
			// Nobody is around: stop churning codes every few minutes.
			if expired > 3 {
				wait = bo.next()
			}
		case openwechat.IsNetworkError(err):
			wait = bo.next()
			a.down("cannot reach WeChat to log in: " + err.Error())
			a.log.Warn("wechat: cannot reach WeChat to log in; retrying", "in", wait.Round(time.Second), "err", err)
		default:
			wait = bo.next()
			a.down("WeChat refused the login: " + err.Error())
			a.log.Error("wechat: login refused; many accounts cannot use the web/UOS login at all (see adapters/wechat/README.md)",
				"err", err, "retry_in", wait.Round(time.Second))
		}
		if !sleep(ctx, wait) {
			return nil, ctx.Err()
		}
	}
}

func (a *Adapter) loginOnce(ctx context.Context, relogin bool) (*session, error) {
	store := &sessionFile{path: a.opts.SessionFile}
	if store.exists() {
		sess := a.newSession(ctx, relogin)
		store.rewind()
		err := sess.bot.HotLogin(store)
		if err == nil {
			a.log.Info("wechat: logged in from the session file (hot login)", "account", sess.nick())
			return a.ready(sess), nil
		}
		sess.cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		a.log.Info("wechat: hot login failed; asking the phone to confirm (push login)", "err", redact(err))

		sess = a.newSession(ctx, relogin)
		store.rewind()
		err = sess.bot.PushLogin(store)
		if err == nil {
			a.log.Info("wechat: logged in after confirmation on the phone (push login)", "account", sess.nick())
			return a.ready(sess), nil
		}
		sess.cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		a.log.Info("wechat: push login failed; a QR scan is needed", "err", redact(err))
	}

	// A QR login through HotLogin with an unreadable store: the library
	// then falls back to the scan (RetryLoginOption) and, because the store
	// is attached, saves the new session to the file for the next start.
	sess := a.newSession(ctx, relogin)
	store.blank()
	err := sess.bot.HotLogin(store, openwechat.NewRetryLoginOption())
	if err != nil {
		sess.cancel()
		return nil, fmt.Errorf("qr login: %w", err)
	}
	a.log.Info("wechat: logged in by QR scan", "account", sess.nick())
	return a.ready(sess), nil
}

// newSession builds a fresh openwechat client in desktop (UOS) mode that
// sends every request through the adapter's transport.
func (a *Adapter) newSession(ctx context.Context, relogin bool) *session {
	sctx, cancel := context.WithCancel(ctx)
	b := openwechat.NewBot(sctx)
	openwechat.Desktop.Prepare(b)
	b.Caller.Client.HTTPClient().Transport = a.transport
	b.Caller.Client.AddHttpHook(jarHosts{b.Caller.Client})
	sess := &session{bot: b, ctx: sctx, cancel: cancel, dir: newDirectory(),
		syncBack: backoff{min: time.Second, max: 2 * time.Minute}}
	b.UUIDCallback = func(uuid string) { a.showQR(sctx, uuid, relogin) }
	b.ScanCallBack = func(openwechat.CheckLoginResponse) {
		a.log.Info("wechat: QR code scanned; confirm the login on the phone")
	}
	b.SyncCheckCallback = func(resp openwechat.SyncCheckResponse) {
		if resp.Success() {
			a.setStatus(func(s *bot.PlatformStatus) { s.Up, s.Detail, s.LastUpdate = true, "", time.Now() })
		}
		if resp.Success() && sess.syncFails > 0 {
			a.log.Info("wechat: connection restored", "after_failures", sess.syncFails)
			sess.syncFails = 0
			sess.syncBack.reset()
		}
	}
	b.MessageHandler = func(m *openwechat.Message) { a.onMessage(sess, m) }
	b.MessageErrorHandler = func(err error) error { return a.onSyncError(sess, err) }
	return sess
}

// ready records what the rest of the adapter reads from a logged-in client.
// The library wrote these before it started its sync goroutine and never
// writes them again, so reading them here and later is safe.
func (a *Adapter) ready(sess *session) *session {
	st := sess.bot.Storage
	sess.info = st.LoginInfo
	sess.req = st.Request
	if st.Response != nil && st.Response.User != nil {
		sess.self = st.Response.User.UserName
		sess.selfNick = openwechat.FormatEmoji(st.Response.User.NickName)
	}
	return sess
}

func (s *session) nick() string {
	st := s.bot.Storage
	if st.Response != nil && st.Response.User != nil {
		return st.Response.User.NickName
	}
	return ""
}

// onSyncError decides, inside the library's sync goroutine, whether the
// session is dead (return the error: the client exits and Run logs in again)
// or the trouble is passing (back off, return nil: the loop goes on).
func (a *Adapter) onSyncError(sess *session, err error) error {
	err = redact(err)
	if sess.ctx.Err() != nil {
		return err
	}
	var ret openwechat.Ret
	if errors.As(err, &ret) && sessionExpired(ret) {
		sess.kill(fmt.Errorf("session expired (ret %d): %w", int(ret), err))
		return err
	}
	sess.syncFails++
	a.down("message sync failing: " + err.Error())
	if !openwechat.IsNetworkError(err) && sess.syncFails >= 10 {
		sess.kill(fmt.Errorf("sync keeps failing: %w", err))
		return err
	}
	wait := sess.syncBack.next()
	if sess.syncFails == 1 {
		a.log.Warn("wechat: message sync failed; backing off", "err", err, "retry_in", wait.Round(time.Millisecond))
	} else {
		a.log.Debug("wechat: message sync still failing", "err", err, "failures", sess.syncFails)
	}
	if !sleep(sess.ctx, wait) {
		return err
	}
	return nil
}

// sessionExpired tells the ret codes that mean the login is gone.
func sessionExpired(ret openwechat.Ret) bool {
	switch int(ret) {
	case 1100, 1101, 1102:
		return true
	}
	return false
}

// showQR prints the login QR code as text blocks and as a URL, and on a
// re-login asks the engine to tell the admins.
func (a *Adapter) showQR(ctx context.Context, uuid string, relogin bool) {
	content := "https://login.weixin.qq.com/l/" + uuid
	image := openwechat.GetQrcodeUrl(uuid)
	var buf bytes.Buffer
	buf.WriteString("\nWeChat login: scan this code with the bot account's WeChat app\n")
	if blocks, err := qrText(content); err == nil {
		buf.WriteString(blocks)
	}
	fmt.Fprintf(&buf, "or open %s and scan it\n\n", image)
	a.setStatus(func(s *bot.PlatformStatus) { s.Up, s.Detail, s.LoginURL = false, "waiting for a QR scan", content })
	if _, err := a.opts.QROut.Write(buf.Bytes()); err != nil {
		a.log.Warn("wechat: could not print the QR code", "err", err)
	}
	a.log.Info("wechat: waiting for a QR scan", "qr_url", image)
	if !relogin || a.opts.OnLoginNeeded == nil {
		return
	}
	a.notifyMu.Lock()
	due := time.Since(a.lastNotified) >= 15*time.Minute
	if due {
		a.lastNotified = time.Now()
	}
	a.notifyMu.Unlock()
	if due {
		a.opts.OnLoginNeeded(ctx, image)
	}
}

// sessionFile is the hot-login storage. Unlike the library's file storage it
// can be read again from the start for each login attempt, and it replaces
// the file atomically so a crash never leaves half a session behind.
type sessionFile struct {
	path string

	mu    sync.Mutex
	r     *bytes.Reader
	empty bool
}

func (f *sessionFile) exists() bool {
	st, err := os.Stat(f.path)
	return err == nil && st.Size() > 0
}

// rewind makes the next read start at the beginning of the file.
func (f *sessionFile) rewind() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.r, f.empty = nil, false
}

// blank makes reads fail as if there were no file, forcing a QR login.
func (f *sessionFile) blank() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.r, f.empty = nil, true
}

func (f *sessionFile) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.empty {
		return 0, openwechat.ErrInvalidStorage
	}
	if f.r == nil {
		data, err := os.ReadFile(f.path)
		if errors.Is(err, os.ErrNotExist) {
			return 0, openwechat.ErrInvalidStorage
		}
		if err != nil {
			return 0, fmt.Errorf("read session file: %w", err)
		}
		f.r = bytes.NewReader(data)
	}
	return f.r.Read(p)
}

// Write replaces the whole file: the library encodes the session in one
// Write call.
func (f *sessionFile) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	dir := filepath.Dir(f.path)
	tmp, err := os.CreateTemp(dir, ".wechat-session-*")
	if err != nil {
		return 0, fmt.Errorf("write session file: %w", err)
	}
	name := tmp.Name()
	if _, err := tmp.Write(p); err != nil {
		_ = tmp.Close()
		_ = os.Remove(name)
		return 0, fmt.Errorf("write session file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(name)
		return 0, fmt.Errorf("write session file: %w", err)
	}
	if err := os.Rename(name, f.path); err != nil {
		_ = os.Remove(name)
		return 0, fmt.Errorf("write session file: %w", err)
	}
	return len(p), nil
}

// jarHosts registers every WeChat host in the client's cookie jar just
// before init. openwechat's Jar keeps a plain map of hosts, written when a
// host first sets a cookie and read on every response and when the session
// is saved. Filling it before the sync goroutine starts means the adapter's
// sends and the sync loop only ever read it. It also keeps the cookies in
// the session file after a hot login: a Jar loaded from the file has no
// hosts, so it would save none.
type jarHosts struct{ client *openwechat.Client }

func (h jarHosts) BeforeRequest(req *http.Request) {
	if !strings.HasSuffix(req.URL.Path, "/webwxinit") {
		return
	}
	d := h.client.Domain
	jar := h.client.Jar()
	for _, host := range []string{d.BaseHost(), d.SyncHost(), d.FileHost(), "https://login.wx.qq.com", "https://login.weixin.qq.com"} {
		if u, err := url.Parse(host + "/"); err == nil {
			jar.SetCookies(u, nil)
		}
	}
}

func (jarHosts) AfterRequest(*http.Response, error) {}
