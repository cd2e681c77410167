package board

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
)

const (
	// LinkTTL is how long a sign-in link works (once).
	LinkTTL = 10 * time.Minute
	// SessionTTL is how long a board session lasts.
	SessionTTL = 12 * time.Hour
	// cookieName holds the session token; the store keeps only its hash.
	cookieName = "lifeline_board"
)

// grant is a sign-in link or a session as the store keeps it, under the
// hash of its token: a copy of the database signs nobody in.
type grant struct {
	Person  string    `json:"person"`
	Expires time.Time `json:"expires"`
	// CSRF is the session's form token (sessions only).
	CSRF string `json:"csrf,omitempty"`
}

func loginKey(token string) string   { return "board:login:" + hashToken(token) }
func sessionKey(token string) string { return "board:session:" + hashToken(token) }

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// newToken is 32 random bytes, URL-safe.
func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func putGrant(tx *store.Tx, key string, g grant) error {
	raw, err := json.Marshal(g)
	if err != nil {
		return err
	}
	return tx.PutState(key, raw)
}

// takeGrant reads the grant under key; expired ones are deleted and
// reported as absent.
func takeGrant(tx *store.Tx, key string, now time.Time, once bool) (*grant, error) {
	raw, err := tx.GetState(key)
	if err != nil || raw == nil {
		return nil, err
	}
	var g grant
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, fmt.Errorf("decode %s: %w", key, err)
	}
	if once || !now.Before(g.Expires) {
		if err := tx.PutState(key, nil); err != nil {
			return nil, err
		}
	}
	if !now.Before(g.Expires) {
		return nil, nil
	}
	return &g, nil
}

// LoginLink makes a one-time sign-in link for person, valid for LinkTTL,
// inside the chat command's transaction. The chat command sends it only
// to the person's private chat.
func (b *Board) LoginLink(tx *store.Tx, person string) (string, error) {
	token, err := newToken()
	if err != nil {
		return "", err
	}
	if err := putGrant(tx, loginKey(token), grant{Person: person, Expires: b.env.Now().Add(LinkTTL)}); err != nil {
		return "", fmt.Errorf("store sign-in link: %w", err)
	}
	return b.opts.PublicURL + "/board/login?t=" + url.QueryEscape(token), nil
}

// viewer is the signed-in person of a request.
type viewer struct {
	Person *store.Person
	Actor  access.Actor
	CSRF   string
	Lang   string
}

// signedIn reads the session of r. A session whose person no longer holds
// a volunteer role is deleted: revoking the role signs them out.
func (b *Board) signedIn(ctx context.Context, r *http.Request) (*viewer, error) {
	ck, err := r.Cookie(cookieName)
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	var (
		v    *viewer
		gone bool // expired, or the role was revoked: delete the session
	)
	now := b.env.Now()
	err = b.env.Store.View(ctx, func(tx *store.Tx) error {
		raw, err := tx.GetState(sessionKey(ck.Value))
		if err != nil || raw == nil {
			return err
		}
		var g grant
		if err := json.Unmarshal(raw, &g); err != nil {
			return fmt.Errorf("decode session: %w", err)
		}
		if !now.Before(g.Expires) {
			gone = true
			return nil
		}
		p, err := tx.Person(g.Person)
		if errors.Is(err, store.ErrNotFound) {
			p = &store.Person{Ref: g.Person}
		} else if err != nil {
			return err
		}
		level := access.LevelOf(b.env, p)
		if level < access.Volunteer {
			b.env.Log.Warn("board session ended: role revoked", "person", p.Ref)
			gone = true
			return nil
		}
		lang := i18n.LangOf(p, b.env.Language)
		v = &viewer{Person: p, CSRF: g.CSRF, Lang: lang,
			Actor: access.Actor{Ref: p.Ref, Name: p.Name, Level: level, Where: access.Where{Board: true}, Lang: lang}}
		return nil
	})
	if err == nil && gone {
		err = b.env.Store.Update(ctx, func(tx *store.Tx) error { return tx.PutState(sessionKey(ck.Value), nil) })
	}
	return v, err
}

// liveLink reads the sign-in grant of token, nil when there is none or it
// has expired.
func (b *Board) liveLink(r *http.Request, token string) (*grant, error) {
	if token == "" {
		return nil, nil
	}
	var g *grant
	err := b.env.Store.View(r.Context(), func(tx *store.Tx) error {
		raw, err := tx.GetState(loginKey(token))
		if err != nil || raw == nil {
			return err
		}
		g = &grant{}
		return json.Unmarshal(raw, g)
	})
	if err != nil || g == nil || !b.env.Now().Before(g.Expires) {
		return nil, err
	}
	return g, nil
}

// refuseLink answers a link that is not (or no longer) valid. Only such
// failures spend the sign-in limit: someone trying links by the thousand
// is slowed down, and a coordinator's real link still works meanwhile.
func (b *Board) refuseLink(w http.ResponseWriter, r *http.Request) {
	if !b.limiter.Allow() {
		b.message(w, r, http.StatusTooManyRequests, "Too many sign-in attempts; wait a minute.")
		return
	}
	b.env.Log.Warn("board sign-in refused: link unknown, spent or expired")
	b.message(w, r, http.StatusForbidden, "This sign-in link is not valid any more. Send /board to the bot for a new one.")
}

// loginPage answers the link: a page with one button. The link does not
// sign in by itself, because chat apps fetch links for previews and would
// spend it.
func (b *Board) loginPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("t")
	g, err := b.liveLink(r, token)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	if g == nil {
		b.refuseLink(w, r)
		return
	}
	b.render(w, r, http.StatusOK, "login", &page{Lang: b.env.Language, Title: tr(b.env.Language, "Sign in"),
		Data: map[string]string{"Token": token, "Who": b.env.ChatName(g.Person)}})
}

// login spends the link and starts a session.
func (b *Board) login(w http.ResponseWriter, r *http.Request) {
	if !b.sameOrigin(r) {
		b.env.Log.Warn("board sign-in refused: foreign origin", "origin", r.Header.Get("Origin"))
		b.message(w, r, http.StatusForbidden, "The form expired; reload the page and try again.")
		return
	}
	token := r.PostFormValue("t")
	// Read before writing: a guessed or spent link costs a read and the
	// failure limit, never a write, and never blocks a real link.
	if g, err := b.liveLink(r, token); err != nil || g == nil {
		if err != nil {
			b.fail(w, r, err)
			return
		}
		b.refuseLink(w, r)
		return
	}
	session, err := newToken()
	if err != nil {
		b.fail(w, r, err)
		return
	}
	csrf, err := newToken()
	if err != nil {
		b.fail(w, r, err)
		return
	}
	var who string
	err = b.env.Store.Update(r.Context(), func(tx *store.Tx) error {
		who = ""
		g, err := takeGrant(tx, loginKey(token), b.env.Now(), true)
		if err != nil || g == nil {
			return err
		}
		who = g.Person
		return putGrant(tx, sessionKey(session), grant{Person: g.Person, Expires: b.env.Now().Add(SessionTTL), CSRF: csrf})
	})
	if err != nil {
		b.fail(w, r, err)
		return
	}
	if who == "" {
		b.refuseLink(w, r) // spent by a second press meanwhile
		return
	}
	b.env.Log.Info("board sign-in", "person", who)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: session, Path: "/board/", MaxAge: int(SessionTTL / time.Second),
		HttpOnly: true, Secure: b.secure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/board/", http.StatusSeeOther)
}

// logout ends the session.
func (b *Board) logout(w http.ResponseWriter, r *http.Request, v *viewer) {
	if ck, err := r.Cookie(cookieName); err == nil {
		if err := b.env.Store.Update(r.Context(), func(tx *store.Tx) error { return tx.PutState(sessionKey(ck.Value), nil) }); err != nil {
			b.fail(w, r, err)
			return
		}
	}
	b.env.Log.Info("board sign-out", "person", v.Person.Ref)
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/board/", MaxAge: -1, HttpOnly: true, Secure: b.secure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/board/", http.StatusSeeOther)
}

// sameOrigin says whether a POST comes from the board's own pages: the
// Origin (or, without one, the Referer) names this host. SameSite=Strict
// already keeps the cookie off cross-site requests; this and the CSRF
// token are the other two locks.
func (b *Board) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		origin = r.Header.Get("Referer")
	}
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if b.public != nil && u.Scheme == b.public.Scheme && u.Host == b.public.Host {
		return true
	}
	return u.Host == r.Host
}

// checkForm refuses a POST without this session's CSRF token or from
// another origin, logging the attempt.
func (b *Board) checkForm(r *http.Request, v *viewer) bool {
	got := r.PostFormValue("csrf")
	if !b.sameOrigin(r) || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(v.CSRF)) != 1 {
		b.env.Log.Warn("board action refused: CSRF check failed", "person", v.Person.Ref, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		return false
	}
	return true
}
