// Package deeplink makes and checks the payloads of links that open a
// private chat with the bot tied to something (Telegram's
// t.me/<bot>?start=<payload>, which arrives as "/start <payload>"):
//
//	c<case>-<token>   ties the asker's private chat to their case
//	r<case>-<token>   gives a volunteer of the case the invite to its room
//
// The token is an HMAC of the payload's kind and case under a secret the
// bot draws once and keeps in its store, so a stranger cannot guess a
// working link for a case by trying numbers. A link can still be seen by
// whoever sees the message carrying it, so what it grants is checked
// against the person using it: only the case's asker is tied to the case,
// only its volunteers get the room invite.
package deeplink

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

// Kinds of link.
const (
	Case = 'c' // ties the asker's private chat to their case
	Room = 'r' // delivers the room invite to one of the case's volunteers
)

const secretKey = "deeplink:secret"

// secret is the bot's link secret, drawn on first use (tx must then be
// writable).
func secret(tx *store.Tx) ([]byte, error) {
	s, err := tx.GetState(secretKey)
	if err != nil {
		return nil, fmt.Errorf("read link secret: %w", err)
	}
	if len(s) >= 32 {
		return s, nil
	}
	s = make([]byte, 32)
	if _, err := rand.Read(s); err != nil {
		return nil, fmt.Errorf("draw link secret: %w", err)
	}
	if err := tx.PutState(secretKey, s); err != nil {
		return nil, fmt.Errorf("keep link secret: %w", err)
	}
	return s, nil
}

var enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func token(key []byte, kind byte, id int64) string {
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%c%d", kind, id)
	return enc.EncodeToString(mac.Sum(nil)[:10]) // 80 bits
}

// Payload is the start payload for kind and case id: "c42-3k9x…".
func Payload(tx *store.Tx, kind byte, id int64) (string, error) {
	key, err := secret(tx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%c%d-%s", kind, id, token(key, kind, id)), nil
}

// Link is the deep link for kind and case id on the platform of chat, or
// "" when that platform has none.
func Link(tx *store.Tx, e *env.Env, chat string, kind byte, id int64) (string, error) {
	p, ok := e.Platform(platform.PlatformOf(chat))
	if !ok {
		return "", nil
	}
	dl, ok := p.(platform.DeepLinker)
	if !ok {
		return "", nil
	}
	payload, err := Payload(tx, kind, id)
	if err != nil {
		return "", err
	}
	url, ok := dl.DeepLink(payload)
	if !ok {
		return "", nil
	}
	return url, nil
}

// Parse reads a start payload and checks its token. ok is false for
// anything that is not a genuine link of this bot.
func Parse(tx *store.Tx, payload string) (kind byte, id int64, ok bool, err error) {
	if len(payload) < 4 || (payload[0] != Case && payload[0] != Room) {
		return 0, 0, false, nil
	}
	num, tok, found := strings.Cut(payload[1:], "-")
	if !found {
		return 0, 0, false, nil
	}
	id, perr := strconv.ParseInt(num, 10, 64)
	if perr != nil || id <= 0 {
		return 0, 0, false, nil
	}
	key, err := tx.GetState(secretKey)
	if err != nil {
		return 0, 0, false, fmt.Errorf("read link secret: %w", err)
	}
	if len(key) < 32 {
		return 0, 0, false, nil // no link was ever made
	}
	if !hmac.Equal([]byte(tok), []byte(token(key, payload[0], id))) {
		return 0, 0, false, nil
	}
	return payload[0], id, true, nil
}
