package board

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/actions"
	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/rooms"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// caseData is what the case page shows.
type caseData struct {
	Case    *store.Case
	Card    string
	Sources []store.Source
	History []string
	Notes   []store.Event
	Links   []store.CaseLink
	// Offered are the actions the viewer may take here, by name.
	Offered      map[string]bool
	Statuses     []store.Status
	Urgencies    []triage.Urgency
	CloseReasons []string
}

func (b *Board) caseID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimPrefix(r.PathValue("id"), "#"), 10, 64)
	return id, err == nil && id > 0
}

// casePage shows one case: the card, every source text, media, history,
// notes, linked cases, and the actions the viewer may take.
func (b *Board) casePage(w http.ResponseWriter, r *http.Request, v *viewer) {
	id, ok := b.caseID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	p := b.viewPage(v, "cases", tr(v.Lang, "Case #%d", id))
	p.Flash = r.URL.Query().Get("done")
	if p.Flash != "" {
		p.Flash = tr(v.Lang, "Done.")
	}
	b.showCase(w, r, v, p, id, http.StatusOK)
}

func (b *Board) showCase(w http.ResponseWriter, r *http.Request, v *viewer, p *page, id int64, status int) {
	rd := cards.Renderer{Names: b.env, Loc: b.env.Loc}
	d := &caseData{Statuses: allStatuses, Urgencies: allUrgencies, CloseReasons: actions.CloseReasons, Offered: map[string]bool{}}
	err := b.env.Store.View(r.Context(), func(tx *store.Tx) error {
		c, err := tx.Case(id)
		if err != nil {
			return err
		}
		d.Case = c
		d.Card = rd.Card(c, v.Lang, cards.Unmasked)
		if d.Sources, err = tx.Sources(id); err != nil {
			return err
		}
		evs, err := tx.Events(id)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			d.History = append(d.History, rd.EventLine(ev, v.Lang, cards.Unmasked))
			if ev.Kind == "note" {
				d.Notes = append(d.Notes, ev)
			}
		}
		d.Links, err = tx.Links(id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		b.fail(w, r, fmt.Errorf("read case %d: %w", id, err))
		return
	}
	for _, a := range caseActions {
		d.Offered[a.name] = a.rule.Offered(v.Actor)
	}
	p.Data = d
	b.render(w, r, status, "case", p)
}

// caseAction runs one action from the case page through the action layer,
// in one transaction, then wakes the outbox (the chat card is edited).
func (b *Board) caseAction(w http.ResponseWriter, r *http.Request, v *viewer) {
	id, ok := b.caseID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if !b.checkForm(r, v) {
		b.message(w, r, http.StatusForbidden, "The form expired; reload the page and try again.")
		return
	}
	name := r.PostFormValue("action")
	note := strings.TrimSpace(r.PostFormValue("note"))
	act := b.actions
	var (
		run func(tx *store.Tx) error
		// said is the chat's confirmation for actions whose outcome is
		// more than "done" (where a room is, how many chats); the page
		// shows it instead of redirecting.
		said string
	)
	switch name {
	case "claim":
		run = func(tx *store.Tx) error { _, err := act.Claim(tx, v.Actor, id); return err }
	case "verify":
		run = func(tx *store.Tx) error { _, err := act.Verify(tx, v.Actor, id, note); return err }
	case "note":
		run = func(tx *store.Tx) error { _, err := act.Note(tx, v.Actor, id, note); return err }
	case "status":
		to, ok := actions.ParseStatus(r.PostFormValue("to"))
		if !ok {
			b.actionError(w, r, v, id, &actions.Error{Kind: actions.ErrInvalid, Reason: tr(v.Lang, "Status") + "?"})
			return
		}
		run = func(tx *store.Tx) error { _, err := act.SetStatus(tx, v.Actor, id, to, note); return err }
	case "urgency":
		to, err := triage.ParseUrgency(r.PostFormValue("to"))
		if err != nil {
			b.actionError(w, r, v, id, &actions.Error{Kind: actions.ErrInvalid, Reason: err.Error()})
			return
		}
		run = func(tx *store.Tx) error { _, err := act.SetUrgency(tx, v.Actor, id, to, note); return err }
	case "resolve":
		run = func(tx *store.Tx) error { _, err := act.Resolve(tx, v.Actor, id, note); return err }
	case "close":
		reason := r.PostFormValue("reason")
		run = func(tx *store.Tx) error { _, err := act.Close(tx, v.Actor, id, reason, note); return err }
	case "reopen":
		run = func(tx *store.Tx) error { _, err := act.Reopen(tx, v.Actor, id, note); return err }
	case "assign":
		who := strings.TrimSpace(r.PostFormValue("who"))
		run = func(tx *store.Tx) error { _, err := act.Assign(tx, v.Actor, id, who); return err }
	case "merge":
		raw := strings.TrimSpace(r.PostFormValue("into"))
		into, err := strconv.ParseInt(strings.TrimPrefix(raw, "#"), 10, 64)
		if err != nil || into <= 0 {
			b.actionError(w, r, v, id, &actions.Error{Kind: actions.ErrInvalid, Reason: i18n.T(v.Lang, "%q is not a case number.", raw)})
			return
		}
		run = func(tx *store.Tx) error {
			res, err := act.Merge(tx, v.Actor, id, into)
			if err == nil {
				said = i18n.T(v.Lang, "✓ Case #%d merged into #%d.", res.Dup.ID, res.Into.ID)
			}
			return err
		}
	case "room":
		// As /room: the platform is asked for a room before the
		// transaction (never inside one), which then records it.
		plan, err := act.PrepareRoom(r.Context(), v.Actor, id)
		if err != nil {
			b.actionError(w, r, v, id, err)
			return
		}
		run = func(tx *store.Tx) error {
			res, err := act.OpenRoom(tx, v.Actor, plan)
			if err == nil {
				said = roomText(v.Lang, res)
			}
			return err
		}
	case "broadcast":
		req := actions.BroadcastRequest{Confirm: r.PostFormValue("confirm") != "", Reason: r.PostFormValue("reason")}
		run = func(tx *store.Tx) error {
			res, err := act.BroadcastWith(tx, v.Actor, id, req)
			if err == nil {
				said = broadcastText(v.Lang, res)
			}
			return err
		}
	default:
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	err := b.env.Store.Update(r.Context(), run)
	if err != nil {
		b.actionError(w, r, v, id, err)
		return
	}
	b.env.Log.Info("board action", "action", name, "case", id, "person", v.Person.Ref)
	b.wake()
	if said != "" {
		p := b.viewPage(v, "cases", tr(v.Lang, "Case #%d", id))
		p.Flash = said
		b.showCase(w, r, v, p, id, http.StatusOK)
		return
	}
	http.Redirect(w, r, "/board/case/"+strconv.FormatInt(id, 10)+"?done="+url.QueryEscape(name), http.StatusSeeOther)
}

// roomText is what /room answers for the same outcome.
func roomText(lang string, res *actions.RoomOpened) string {
	id := res.Case.ID
	switch {
	case res.StillFallback:
		return i18n.T(lang, "Still no separate room for case #%d (%s); this chat remains its room.", id, res.Why)
	case res.Existing:
		return i18n.T(lang, "Case #%d already has a room: %s", id, res.Name)
	}
	return rooms.OpenedText(lang, id, res.Room.Fallback, res.Name, res.Why)
}

// broadcastText is what /broadcast answers for the same outcome.
func broadcastText(lang string, res *actions.Broadcasted) string {
	if res.Already > 0 {
		return i18n.T(lang, "✓ Case #%d broadcast to %d more chats (it was already in %d).", res.Case.ID, res.Chats, res.Already)
	}
	return i18n.T(lang, "✓ Case #%d broadcast to %d chats.", res.Case.ID, res.Chats)
}

// actionError shows the action layer's answer on the case page: the reason
// for a refusal or a conflict, in the viewer's language.
func (b *Board) actionError(w http.ResponseWriter, r *http.Request, v *viewer, id int64, err error) {
	reason, status, ok := b.refusal(w, r, v, r.PostFormValue("action"), err, "case", id)
	if !ok {
		return
	}
	p := b.viewPage(v, "cases", tr(v.Lang, "Case #%d", id))
	p.Error = reason
	b.showCase(w, r, v, p, id, status)
}

// refusal is the page error and HTTP status for an action layer's answer,
// logging a refusal the action layer did not log itself. Any other error
// is the bot's failure: it is answered here, and ok is false.
func (b *Board) refusal(w http.ResponseWriter, r *http.Request, v *viewer, action string, err error, logArgs ...any) (reason string, status int, ok bool) {
	var ae *actions.Error
	if !errors.As(err, &ae) {
		b.fail(w, r, err)
		return "", 0, false
	}
	if !ae.Logged() {
		args := append([]any{"action", action, "person", v.Person.Ref, "kind", ae.Kind.Error(), "reason", ae.Reason}, logArgs...)
		b.env.Log.Warn("board action refused", args...)
	}
	status = http.StatusConflict
	switch {
	case errors.Is(ae, actions.ErrRefused):
		status = http.StatusForbidden
	case errors.Is(ae, actions.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(ae, actions.ErrInvalid):
		status = http.StatusBadRequest
	}
	return ae.Reason, status, true
}

// caseActions are the page's actions with the rules that offer them (the
// action layer checks again: this only hides what it would refuse).
var caseActions = []struct {
	name string
	rule access.Rule
}{
	{"claim", actions.ClaimRule}, {"verify", actions.VerifyRule}, {"note", actions.NoteRule},
	{"status", actions.StatusRule}, {"urgency", actions.UrgencyRule}, {"resolve", actions.ResolveRule},
	{"close", actions.CloseRule}, {"reopen", actions.ReopenRule}, {"assign", actions.AssignRule},
	{"merge", actions.MergeRule}, {"room", actions.RoomRule}, {"broadcast", actions.BroadcastRule},
}
