package actions

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

// The first admin of a platform. WeChat gives people ids only when the bot
// first meets them, so nobody can be named an admin in the configuration
// in advance; Telegram ids are stable but may be unknown to whoever sets
// the bot up. So when a platform has no admin the bot knows, it issues a
// one-time claim code at start, shown only to the operator (log and
// terminal). "/admin CODE" in a private chat makes the sender an admin:
// the code works once, expires, is bound to its platform, and is withdrawn
// after too many wrong tries; every claim is logged and announced to the
// other admins.

// ClaimAdminRule: anyone may try, in a private chat only (a code typed in a
// group would be read by everyone there).
var ClaimAdminRule = access.Rule{Name: "admin", Need: access.Anyone, Where: access.PrivateChat}

// Bounds of claiming.
const (
	// AdminCodeTTL is how long a claim code stays valid.
	AdminCodeTTL = 24 * time.Hour
	// adminTriesPerPerson wrong codes per person per adminTryWindow.
	adminTriesPerPerson = 3
	adminTryWindow      = time.Hour
	// adminMaxFailures wrong codes in all withdraw the code: guessing
	// gets at most this many tries at a 40-bit code.
	adminMaxFailures = 20
	// adminCodeLen characters from adminAlphabet (no 0/O, 1/I/L).
	adminCodeLen  = 8
	adminAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
)

// AdminCode is a claim code issued for a platform without an admin.
type AdminCode struct {
	Platform string
	Code     string
	Expires  time.Time
}

// adminClaim is the stored form of a code: its hash, never the code.
type adminClaim struct {
	Hash     string                 `json:"hash"`
	Expires  time.Time              `json:"expires"`
	Failures int                    `json:"failures,omitempty"`
	Tries    map[string][]time.Time `json:"tries,omitempty"` // wrong tries per person
}

func claimKey(platformName string) string { return "adminclaim:" + platformName }

func codeHash(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}

// normaliseCode accepts the code as people retype it: any case, with
// spaces or dashes.
func normaliseCode(s string) string {
	s = strings.ToUpper(s)
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)
}

func newCode() (string, error) {
	b := make([]byte, adminCodeLen)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make a claim code: %w", err)
	}
	out := make([]byte, adminCodeLen)
	for i, v := range b {
		// 256 is not a multiple of 31: the slight bias costs well under
		// a bit of the code's 39.6.
		out[i] = adminAlphabet[int(v)%len(adminAlphabet)]
	}
	return string(out), nil
}

// hasAdmin says whether some admin on platformName is known to the bot
// (has written to it), so the team can already grant roles there.
func (a *Actions) hasAdmin(tx *store.Tx, platformName string) (bool, error) {
	found := false
	err := tx.ForEachPerson(func(p *store.Person) error {
		if !found && platform.PlatformOf(p.Ref) == platformName && access.LevelOf(a.env, p) == access.Admin {
			found = true
		}
		return nil
	})
	return found, err
}

// IssueAdminCodes makes a fresh claim code for each of the platforms that
// has no admin the bot knows, replacing any earlier one, and withdraws the
// codes of platforms that have one now. The codes are returned for the
// operator's eyes only.
func (a *Actions) IssueAdminCodes(tx *store.Tx, platforms []string) ([]AdminCode, error) {
	var codes []AdminCode
	for _, name := range platforms {
		has, err := a.hasAdmin(tx, name)
		if err != nil {
			return nil, fmt.Errorf("look for admins on %s: %w", name, err)
		}
		if has {
			if err := tx.PutState(claimKey(name), nil); err != nil {
				return nil, err
			}
			continue
		}
		code, err := newCode()
		if err != nil {
			return nil, err
		}
		expires := a.env.Now().Add(AdminCodeTTL)
		if err := putClaim(tx, name, adminClaim{Hash: codeHash(code), Expires: expires}); err != nil {
			return nil, err
		}
		codes = append(codes, AdminCode{Platform: name, Code: code, Expires: expires})
	}
	return codes, nil
}

func putClaim(tx *store.Tx, name string, c adminClaim) error {
	raw, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode claim code of %s: %w", name, err)
	}
	return tx.PutState(claimKey(name), raw)
}

func loadClaim(tx *store.Tx, name string) (*adminClaim, error) {
	raw, err := tx.GetState(claimKey(name))
	if err != nil || raw == nil {
		return nil, err
	}
	var c adminClaim
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("decode claim code of %s: %w", name, err)
	}
	return &c, nil
}

// ClaimAdmin makes the actor an admin when code is the claim code of their
// platform. A wrong, expired or absent code gets one and the same answer,
// so guessing learns nothing; wrong tries are counted per person and in
// all. A refusal has still written the count into tx: the caller commits
// it (the refusal is its reply).
func (a *Actions) ClaimAdmin(tx *store.Tx, actor access.Actor, code string) (*store.Person, error) {
	if err := a.allow(actor, ClaimAdminRule); err != nil {
		// A code typed where others read it is burnt: withdraw it.
		name := platform.PlatformOf(actor.Ref)
		if claim, lerr := loadClaim(tx, name); lerr == nil && claim != nil && codeHash(normaliseCode(code)) == claim.Hash {
			a.env.Log.Error("admin claim code shown outside a private chat: withdrawn; restart the bot for a new one", "platform", name, "chat", actor.Where.Chat)
			if perr := tx.PutState(claimKey(name), nil); perr != nil {
				return nil, perr
			}
		}
		return nil, err
	}
	lang := actor.Lang
	if actor.Level == access.Admin {
		return nil, conflict(i18n.T(lang, "You are already an admin."))
	}
	name := platform.PlatformOf(actor.Ref)
	now := a.env.Now()
	claim, err := loadClaim(tx, name)
	if err != nil {
		return nil, err
	}
	notValid := i18n.T(lang, "That code is not valid. Codes are printed where the bot runs, once per start, and work for 24 hours.")
	if claim == nil {
		return nil, a.refuseCode(actor, "no code", notValid)
	}
	if !now.Before(claim.Expires) {
		if err := tx.PutState(claimKey(name), nil); err != nil {
			return nil, err
		}
		return nil, a.refuseCode(actor, "expired", notValid)
	}
	tries := slices.DeleteFunc(claim.Tries[actor.Ref], func(t time.Time) bool { return now.Sub(t) >= adminTryWindow })
	if len(tries) >= adminTriesPerPerson {
		return nil, a.refuseCode(actor, "rate limited", i18n.T(lang, "Too many wrong codes. Try again in an hour."))
	}
	given := codeHash(normaliseCode(code))
	if subtle.ConstantTimeCompare([]byte(given), []byte(claim.Hash)) != 1 {
		claim.Failures++
		if claim.Tries == nil {
			claim.Tries = map[string][]time.Time{}
		}
		claim.Tries[actor.Ref] = append(tries, now)
		if claim.Failures >= adminMaxFailures {
			a.env.Log.Error("admin claim code withdrawn after too many wrong tries; restart the bot for a new one", "platform", name, "failures", claim.Failures)
			if err := tx.PutState(claimKey(name), nil); err != nil {
				return nil, err
			}
		} else if err := putClaim(tx, name, *claim); err != nil {
			return nil, err
		}
		return nil, a.refuseCode(actor, "wrong code", notValid)
	}
	// Single use: gone before anything else can read it.
	if err := tx.PutState(claimKey(name), nil); err != nil {
		return nil, err
	}
	p, err := a.self(tx, actor)
	if err != nil {
		return nil, err
	}
	if !access.HasRole(p, "admin") {
		p.Roles = append(p.Roles, "admin")
	}
	if err := a.savePerson(tx, actor, p); err != nil {
		return nil, err
	}
	a.env.Log.Warn("admin claimed with the start-up code", "person", p.Ref, "name", p.Name, "platform", name)
	if err := a.teamEvent(tx, actor, "admin_claimed", p.Ref, "admin"); err != nil {
		return nil, err
	}
	return p, a.announceAdmin(tx, p)
}

// refuseCode logs a failed claim with its cause; the actor sees only why.
func (a *Actions) refuseCode(actor access.Actor, cause, why string) error {
	a.env.Log.Warn("admin claim refused", "actor", actor.Ref, "cause", cause)
	return &Error{Kind: ErrRefused, Reason: why, logged: true}
}

// announceAdmin tells the other admins (privately, when the bot has a chat
// with them) and the coordination chats that p became an admin.
func (a *Actions) announceAdmin(tx *store.Tx, p *store.Person) error {
	var targets []string
	admins := a.env.Admins()
	if err := tx.ForEachPerson(func(o *store.Person) error {
		if access.HasRole(o, "admin") {
			admins = append(admins, o.Ref)
		}
		return nil
	}); err != nil {
		return fmt.Errorf("list admins: %w", err)
	}
	for _, ref := range admins {
		if ref == p.Ref {
			continue
		}
		chat, err := delivery.PrivateChat(tx, ref)
		if err != nil {
			return err
		}
		if chat != "" && !slices.Contains(targets, chat) {
			targets = append(targets, chat)
		}
	}
	coordination, err := env.ChatsWithRole(tx, store.RoleCoordination)
	if err != nil {
		return err
	}
	for _, c := range coordination {
		targets = append(targets, c.Ref)
	}
	for _, chat := range targets {
		lang := a.env.Language
		if c, err := tx.Chat(chat); err == nil {
			lang = a.env.Lang(c)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		out := platform.OutMessage{Chat: chat, Text: "⚙ " + i18n.T(lang, "%s became an admin with the one-time code printed at start. If that was not one of you, revoke it at once: /revoke %s admin", access.Named(p), p.Ref)}
		if err := delivery.Enqueue(tx, a.env.Now(), delivery.KindNotice, 0, out, ""); err != nil {
			return err
		}
	}
	return nil
}
