package rooms

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/deeplink"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

// A bot can write privately only to people who wrote to it first, so a
// volunteer let into a room who never did would not get the invite. The
// invite is then kept, and the coordination chat is told: with a deep link
// (Telegram) that opens the private chat and fetches it at once, or, on a
// platform without deep links, asking the volunteer to write to the bot.

func pendingInviteKey(id int64, person string) string {
	return fmt.Sprintf("invite:%d:%s", id, person)
}

// inviteByLink keeps the room invite of person for case id and tells the
// coordination chat how they can get it.
func (r *Rooms) inviteByLink(tx *store.Tx, person string, id int64, invite string) error {
	if err := tx.PutState(pendingInviteKey(id, person), []byte(invite)); err != nil {
		return fmt.Errorf("keep room invite of %s: %w", person, err)
	}
	ids, err := tx.GetState(invitesOfKey(person))
	if err != nil {
		return err
	}
	if !slices.Contains(strings.Fields(string(ids)), strconv.FormatInt(id, 10)) {
		if err := tx.PutState(invitesOfKey(person), []byte(strings.TrimSpace(string(ids)+" "+strconv.FormatInt(id, 10)))); err != nil {
			return fmt.Errorf("keep room invite of %s: %w", person, err)
		}
	}
	st, err := Load(tx, id)
	if err != nil || st == nil || st.Coordination == "" {
		return err
	}
	lang := r.env.Language
	if ch, err := tx.Chat(st.Coordination); err == nil {
		lang = r.env.Lang(ch)
	}
	name := cards.Renderer{Names: r.env}.People([]string{person})[0]
	link, err := deeplink.Link(tx, r.env, person, deeplink.Room, id)
	if err != nil {
		return err
	}
	text := i18n.T(lang, "%s: I can't write to you privately yet. Write any message to me in a private chat, then send /start there to get your invite to the room of case #%d.", name, id)
	if link != "" {
		text = i18n.T(lang, "%s: open %s and press Start to get your invite to the room of case #%d.", name, link, id)
	}
	r.env.Log.Info("room invite waits for a private chat", "case", id, "person", person, "deep_link", link != "")
	return delivery.Enqueue(tx, r.env.Now(), delivery.KindNotice, id, platform.OutMessage{Chat: st.Coordination, Text: text}, "invite-link:"+pendingInviteKey(id, person))
}

// TakeInvite returns the room invite kept for person for case id and
// forgets it; "" when there is none (the room closed meanwhile: no invite).
func TakeInvite(tx *store.Tx, id int64, person string) (string, error) {
	key := pendingInviteKey(id, person)
	raw, err := tx.GetState(key)
	if err != nil || raw == nil {
		return "", err
	}
	if st, err := Load(tx, id); err != nil {
		return "", err
	} else if !st.Open() {
		return "", tx.PutState(key, nil)
	}
	if err := tx.PutState(key, nil); err != nil {
		return "", err
	}
	return string(raw), nil
}

func invitesOfKey(person string) string { return "invites-of:" + person }

// TakeAllInvites returns every room invite kept for person, as the lines
// to send them, and forgets them (a plain /start on a platform without
// deep links).
func TakeAllInvites(tx *store.Tx, person, lang string) ([]string, error) {
	raw, err := tx.GetState(invitesOfKey(person))
	if err != nil || raw == nil {
		return nil, err
	}
	var out []string
	for _, f := range strings.Fields(string(raw)) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			continue
		}
		invite, err := TakeInvite(tx, id, person)
		if err != nil {
			return nil, err
		}
		if invite != "" {
			out = append(out, i18n.T(lang, "You are invited to the rescue room for case #%d: %s", id, invite))
		}
	}
	return out, tx.PutState(invitesOfKey(person), nil)
}
