// Package board is the coordinators' web board: the shared sheet of
// cases, a page per case with the same actions as the chat (through
// bot/actions, never rules of its own), the directory, charts, and live
// updates. People sign in with a one-time link the bot sends them
// privately (/board); without a session it shows nothing.
//
// Every page is rendered server-side with html/template (user text is
// always escaped); the one script only listens for live updates.
package board

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/lifeline-aid/lifeline/bot/actions"
	"github.com/lifeline-aid/lifeline/bot/env"
)

//go:embed assets
var assets embed.FS

// Exporter writes the case downloads (XLSX, CSV) the board links to.
// The export helper's reports implement it; nil hides the links.
type Exporter interface {
	// Formats are the downloads offered, such as "xlsx" and "csv".
	Formats() []string
	// Export writes format in lang to w and names the file.
	Export(ctx context.Context, w io.Writer, format, lang string) (filename string, err error)
}

// Options configure the board.
type Options struct {
	// PublicURL is where people open the board (no trailing slash); the
	// sign-in links point there. An https URL makes the cookie Secure.
	PublicURL string
	// StaleAfter is how long an open case may go without an update before
	// it is "stale" (default 2h, as the digests).
	StaleAfter time.Duration
	// Exporter, when set, adds download links.
	Exporter Exporter
	// LoginRate bounds sign-in requests (default 1 a second, burst 20).
	LoginRate  rate.Limit
	LoginBurst int
	// Importer, when set, adds the import page for coordinators.
	Importer Importer
	// ImportMaxBytes bounds an uploaded sheet (default 10 MB).
	ImportMaxBytes int64
}

// Board serves the web board under /board/.
type Board struct {
	env     *env.Env
	actions *actions.Actions
	wake    func()
	changes *env.Changes
	opts    Options
	public  *url.URL
	secure  bool
	limiter *rate.Limiter
	tmpl    *template.Template
	mux     *http.ServeMux
	// done ends the live streams (Close), so a server shutting down does
	// not wait for open pages.
	done      chan struct{}
	closeOnce sync.Once
	uploads   uploads
}

// Close ends the open live-update streams; pages reconnect to the next
// server. Call it before shutting the HTTP server down.
func (b *Board) Close() { b.closeOnce.Do(func() { close(b.done) }) }

// New builds the board over the engine's env and action layer. wake is
// called after an action committed (the outbox sends the card edits);
// changes feeds the live updates.
func New(e *env.Env, act *actions.Actions, wake func(), changes *env.Changes, o Options) (*Board, error) {
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	if o.StaleAfter <= 0 {
		o.StaleAfter = 2 * time.Hour
	}
	if o.LoginRate <= 0 {
		o.LoginRate, o.LoginBurst = rate.Every(time.Second), 20
	}
	b := &Board{env: e, actions: act, wake: wake, changes: changes, opts: o, done: make(chan struct{}),
		limiter: rate.NewLimiter(o.LoginRate, max(o.LoginBurst, 1))}
	// Cases opened on the board say so on their cards ("From: web board").
	e.RememberName(boardSource, "web board")
	if o.PublicURL != "" {
		u, err := url.Parse(o.PublicURL)
		if err != nil {
			return nil, err
		}
		b.public, b.secure = u, u.Scheme == "https"
	}
	t, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	b.tmpl = t
	b.routes()
	return b, nil
}

func (b *Board) routes() {
	m := http.NewServeMux()
	static := http.FileServerFS(assets)
	m.Handle("GET /board/static/", http.StripPrefix("/board/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		r.URL.Path = "assets/" + r.URL.Path
		static.ServeHTTP(w, r)
	})))
	m.HandleFunc("GET /board/login", b.loginPage)
	m.HandleFunc("POST /board/login", b.login)
	m.HandleFunc("GET /board/{$}", b.signed(b.sheet))
	m.HandleFunc("GET /board/case/{id}", b.signed(b.casePage))
	m.HandleFunc("POST /board/case/{id}", b.signed(b.caseAction))
	m.HandleFunc("GET /board/dir", b.signed(b.directory))
	m.HandleFunc("POST /board/dir", b.signed(b.dirAction))
	m.HandleFunc("GET /board/stats", b.signed(b.stats))
	m.HandleFunc("GET /board/new", b.signed(b.newCasePage))
	m.HandleFunc("POST /board/new", b.signed(b.newCase))
	m.HandleFunc("GET /board/events", b.signed(b.events))
	m.HandleFunc("GET /board/export/{format}", b.signed(b.export))
	if b.opts.Importer != nil {
		m.HandleFunc("GET /board/import", b.signed(b.importPage))
		m.HandleFunc("POST /board/import", b.signed(b.importPost))
	}
	m.HandleFunc("POST /board/logout", b.signed(func(w http.ResponseWriter, r *http.Request, v *viewer) {
		if !b.checkForm(r, v) {
			b.message(w, r, http.StatusForbidden, "The form expired; reload the page and try again.")
			return
		}
		b.logout(w, r, v)
	}))
	b.mux = m
}

// ServeHTTP answers /board/ requests with the board's security headers:
// no framing, no inline or foreign script, no referrer to other sites (a
// sign-in link must not leak).
func (b *Board) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: with no-referrer browsers send
	// "Origin: null" on form posts, which the origin check must refuse.
	h.Set("Referrer-Policy", "same-origin")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	r.Body = http.MaxBytesReader(w, r.Body, b.bodyLimit(r))
	b.mux.ServeHTTP(w, r)
}

// signed runs h for a signed-in volunteer; anyone else gets the sign-in
// hint and no data.
func (b *Board) signed(h func(http.ResponseWriter, *http.Request, *viewer)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := b.signedIn(r.Context(), r)
		if err != nil {
			b.fail(w, r, err)
			return
		}
		if v == nil {
			b.message(w, r, http.StatusUnauthorized, "You are not signed in. Send /board to the bot in a private chat or the coordination chat for a sign-in link.")
			return
		}
		h(w, r, v)
	}
}

// fail answers a bot failure: logged with detail, shown without.
func (b *Board) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	b.env.Log.Error("board request failed", "path", r.URL.Path, "err", err)
	http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
}

// message answers with a short page saying key, in the default language.
func (b *Board) message(w http.ResponseWriter, r *http.Request, status int, key string) {
	lang := b.env.Language
	b.render(w, r, status, "message", &page{Lang: lang, Title: tr(lang, "Lifeline board"), Data: tr(lang, key)})
}
