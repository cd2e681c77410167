package board

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/actions"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// boardSource is the source chat of cases opened on the board.
const boardSource = "board"

type newCaseData struct {
	Nonce, Words, Urgency string
	Urgencies             []triage.Urgency
}

// newCasePage is the form to open a case by hand, as /new does in chat.
// Its nonce makes a resubmitted form (a reload, a double click) open the
// case once.
func (b *Board) newCasePage(w http.ResponseWriter, r *http.Request, v *viewer) {
	b.showNewCase(w, r, v, b.viewPage(v, "new", tr(v.Lang, "New case")), &newCaseData{}, http.StatusOK)
}

func (b *Board) showNewCase(w http.ResponseWriter, r *http.Request, v *viewer, p *page, d *newCaseData, status int) {
	if d.Nonce == "" {
		nonce, err := newToken()
		if err != nil {
			b.fail(w, r, err)
			return
		}
		d.Nonce = nonce
	}
	d.Urgencies = allUrgencies
	p.Data = d
	b.render(w, r, status, "new", p)
}

// newCase opens the case through the action layer and shows it.
func (b *Board) newCase(w http.ResponseWriter, r *http.Request, v *viewer) {
	if !b.checkForm(r, v) {
		b.message(w, r, http.StatusForbidden, "The form expired; reload the page and try again.")
		return
	}
	d := &newCaseData{Nonce: r.PostFormValue("nonce"), Words: strings.TrimSpace(r.PostFormValue("words")), Urgency: r.PostFormValue("urgency")}
	n := actions.NewCase{Text: d.Words, SourceChat: boardSource, SourceMsg: d.Nonce, At: b.env.Now()}
	var err error
	if d.Urgency != "" {
		if n.Urgency, err = triage.ParseUrgency(d.Urgency); err != nil || n.Urgency == triage.None {
			err = &actions.Error{Kind: actions.ErrInvalid, Reason: i18n.T(v.Lang, "%q is not an urgency (critical, high, normal).", d.Urgency)}
		}
	}
	if d.Nonce == "" {
		err = &actions.Error{Kind: actions.ErrInvalid, Reason: tr(v.Lang, "The form expired; reload the page and try again.")}
	}
	var opened *actions.Opened
	if err == nil {
		err = b.env.Store.Update(r.Context(), func(tx *store.Tx) error {
			var err error
			opened, err = b.actions.Open(tx, v.Actor, n)
			return err
		})
	}
	if err != nil {
		reason, status, ok := b.refusal(w, r, v, "new", err)
		if !ok {
			return
		}
		p := b.viewPage(v, "new", tr(v.Lang, "New case"))
		p.Error = reason
		b.showNewCase(w, r, v, p, d, status)
		return
	}
	b.env.Log.Info("board action", "action", "new", "case", opened.Case.ID, "person", v.Person.Ref)
	b.wake()
	http.Redirect(w, r, "/board/case/"+strconv.FormatInt(opened.Case.ID, 10)+"?done=new", http.StatusSeeOther)
}
