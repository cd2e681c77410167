package board_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/bot/board"
)

// lateExporter is the engine's downloads, for an engine made after the
// board's options.
type lateExporter struct{ e **bot.Engine }

func (l lateExporter) Formats() []string { return (*l.e).Downloads().Formats() }
func (l lateExporter) Export(ctx context.Context, w io.Writer, format, lang string) (string, error) {
	return (*l.e).Downloads().Export(ctx, w, format, lang)
}

// The board's download links serve the same XLSX and CSV as /export, to
// signed-in volunteers only.
func TestBoardDownloadsTheExport(t *testing.T) {
	var e *bot.Engine
	h := newHarness(t, func(o *board.Options) { o.Exporter = lateExporter{&e} })
	e = h.e
	h.team()

	if code, _ := h.client().get("/board/export/xlsx"); code == http.StatusOK {
		t.Error("a download without a session")
	}
	c := h.signIn("vol")
	code, body := c.get("/board/export/xlsx")
	if code != http.StatusOK {
		t.Fatalf("download: %d %.200s", code, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatalf("not an XLSX: %v", err)
	}
	defer f.Close()
	rows, _ := f.GetRows("Cases")
	if len(rows) != 2 || rows[1][0] != "1" || !strings.Contains(strings.Join(rows[1], "|"), "13912340000") {
		t.Errorf("cases sheet: %v", rows)
	}
	if code, body := c.get("/board/export/csv"); code != http.StatusOK || !strings.HasPrefix(body, "\ufeff\"Case\"") {
		t.Errorf("csv: %d %.40q", code, body)
	}
	if code, _ := c.get("/board/export/pdf"); code != http.StatusNotFound {
		t.Errorf("pdf: %d", code)
	}
}
