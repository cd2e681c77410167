package board

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// heartbeat keeps proxies from closing an idle event stream.
const heartbeat = 25 * time.Second

// events streams change notices (server-sent events) to a signed-in page:
// one "change" event with the case numbers after each commit that touched
// cases, from chat or board alike. The page reloads its rows.
func (b *Board) events(w http.ResponseWriter, r *http.Request, v *viewer) {
	if b.changes == nil {
		http.Error(w, "live updates are off", http.StatusNotFound)
		return
	}
	rc := http.NewResponseController(w)
	// The listener's write timeout is for ordinary pages; a stream lives
	// as long as the page (the heartbeat notices a gone client).
	_ = rc.SetWriteDeadline(time.Time{})
	ch, stop := b.changes.Subscribe()
	defer stop()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return
	}
	_ = rc.Flush()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-b.done:
			return
		case ids := <-ch:
			raw, _ := json.Marshal(ids)
			if _, err := fmt.Fprintf(w, "event: change\ndata: %s\n\n", raw); err != nil {
				return
			}
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// export sends a download made by the Exporter, in the viewer's language.
func (b *Board) export(w http.ResponseWriter, r *http.Request, v *viewer) {
	if b.opts.Exporter == nil {
		http.NotFound(w, r)
		return
	}
	format := r.PathValue("format")
	ok := false
	for _, f := range b.opts.Exporter.Formats() {
		ok = ok || f == format
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	b.env.Log.Info("board export", "format", format, "person", v.Person.Ref)
	var buf bytes.Buffer
	name, err := b.opts.Exporter.Export(r.Context(), &buf, format, v.Lang)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(buf.Bytes())
}
