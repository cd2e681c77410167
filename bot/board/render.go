package board

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

//go:embed tmpl/*.html
var tmplFS embed.FS

func parseTemplates() (*template.Template, error) {
	t, err := template.New("").ParseFS(tmplFS, "tmpl/*.html")
	if err != nil {
		return nil, fmt.Errorf("board templates: %w", err)
	}
	return t, nil
}

// page is what every template gets: the language, the viewer and the
// page's own data, with helpers that translate.
type page struct {
	Lang   string
	Title  string
	Viewer *viewer
	// Nav is the current section (cases, dir, stats) for the menu.
	Nav   string
	Flash string
	Error string
	Print bool
	Loc   *time.Location
	Data  any

	// CanImport shows the import link (coordinators, when the board imports).
	CanImport bool
}

// T translates a board phrase.
func (p *page) T(key string, args ...any) string { return tr(p.Lang, key, args...) }

// Urg names an urgency.
func (p *page) Urg(u triage.Urgency) string { return i18n.Urgency(p.Lang, u) }

// Status names a status.
func (p *page) Status(s store.Status) string { return i18n.Status(p.Lang, s) }

// Cat names a category.
func (p *page) Cat(c triage.Category) string { return i18n.Category(p.Lang, c) }

// Stamp shows a time in the team's zone.
func (p *page) Stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	loc := p.Loc
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("01-02 15:04")
}

// CSRF is the viewer's form token.
func (p *page) CSRF() string {
	if p.Viewer == nil {
		return ""
	}
	return p.Viewer.CSRF
}

// render writes template name with p; a template error is a bot failure
// and nothing half-written reaches the browser.
func (b *Board) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	if p.Loc == nil {
		p.Loc = b.env.Loc
	}
	var buf bytes.Buffer
	if err := b.tmpl.ExecuteTemplate(&buf, name, p); err != nil {
		b.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// viewPage starts a page for the signed-in viewer.
func (b *Board) viewPage(v *viewer, nav, title string) *page {
	return &page{Lang: v.Lang, Viewer: v, Nav: nav, Title: title, Loc: b.env.Loc,
		CanImport: b.opts.Importer != nil && canImport(v)}
}
