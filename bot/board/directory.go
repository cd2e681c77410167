package board

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/actions"
	"github.com/lifeline-aid/lifeline/store"
)

type dirData struct {
	Q       string
	Entries []store.DirEntry
	CanEdit bool
}

// directory lists the channels directory, searched by q; coordinators get
// the forms to add, change the status of and remove entries.
func (b *Board) directory(w http.ResponseWriter, r *http.Request, v *viewer) {
	p := b.viewPage(v, "dir", tr(v.Lang, "Directory"))
	if r.URL.Query().Get("done") != "" {
		p.Flash = tr(v.Lang, "Done.")
	}
	b.showDirectory(w, r, v, p, http.StatusOK)
}

func (b *Board) showDirectory(w http.ResponseWriter, r *http.Request, v *viewer, p *page, status int) {
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	d := &dirData{Q: r.URL.Query().Get("q"), CanEdit: actions.DirRule.Offered(v.Actor)}
	err := b.env.Store.View(r.Context(), func(tx *store.Tx) error {
		return tx.ForEachDirEntry(func(e *store.DirEntry) error {
			hay := strings.ToLower(strings.Join([]string{e.Name, e.Category, e.District, e.Phone, e.Hours, e.Status, e.Notes}, " "))
			if q == "" || strings.Contains(hay, q) {
				d.Entries = append(d.Entries, *e)
			}
			return nil
		})
	})
	if err != nil {
		b.fail(w, r, err)
		return
	}
	p.Data = d
	b.render(w, r, status, "dir", p)
}

// dirAction adds, edits or removes an entry through the action layer
// (which refuses anyone below coordinator).
func (b *Board) dirAction(w http.ResponseWriter, r *http.Request, v *viewer) {
	if !b.checkForm(r, v) {
		b.message(w, r, http.StatusForbidden, "The form expired; reload the page and try again.")
		return
	}
	f := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	id, _ := strconv.ParseInt(f("id"), 10, 64)
	name := f("action")
	err := b.env.Store.Update(r.Context(), func(tx *store.Tx) error {
		var err error
		switch name {
		case "add":
			_, err = b.actions.AddDirEntry(tx, v.Actor, store.DirEntry{Name: f("name"), Category: f("category"), District: f("district"),
				Phone: f("phone"), Hours: f("hours"), Notes: f("notes")})
		case "status":
			st := f("status")
			_, err = b.actions.EditDirEntry(tx, v.Actor, id, actions.DirEdit{Status: &st})
		case "remove":
			_, err = b.actions.RemoveDirEntry(tx, v.Actor, id)
		default:
			err = &actions.Error{Kind: actions.ErrInvalid, Reason: "?"}
		}
		return err
	})
	if err != nil {
		reason, status, ok := b.refusal(w, r, v, "dir "+name, err, "entry", id)
		if !ok {
			return
		}
		p := b.viewPage(v, "dir", tr(v.Lang, "Directory"))
		p.Error = reason
		b.showDirectory(w, r, v, p, status)
		return
	}
	b.env.Log.Info("board directory action", "action", name, "entry", id, "person", v.Person.Ref)
	http.Redirect(w, r, "/board/dir?done="+url.QueryEscape(name), http.StatusSeeOther)
}
