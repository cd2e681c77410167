package reports

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"xlsx": FormatXLSX, ".XLSX": FormatXLSX, "excel": FormatXLSX, "csv": FormatCSV, "CSV": FormatCSV, "pdf": "", "": ""} {
		if got, ok := ParseFormat(in); got != want || ok != (want != "") {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestClipCell(t *testing.T) {
	long := strings.Repeat("急", 40000)
	if got := clipCell(long); len(got) > maxCell+10 || !strings.HasSuffix(got, "…") {
		t.Errorf("a %d-byte cell clipped to %d bytes", len(long), len(got))
	}
	if got := clipCell("a\x00b\x1bc\nd"); got != "abc\nd" {
		t.Errorf("control characters kept: %q", got)
	}
}

// newTestReports is a Reports over a new store holding n cases, each with
// a source and a note, urgencies in turn.
func newTestReports(tb testing.TB, n int) *Reports {
	tb.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(tb.TempDir(), "l.db"), store.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	t0 := time.Date(2026, 4, 10, 9, 0, 0, 0, time.UTC)
	urg := []triage.Urgency{triage.Normal, triage.High, triage.Critical}
	for lo := 0; lo < n; lo += 1000 {
		err := st.Update(ctx, func(tx *store.Tx) error {
			for i := lo; i < min(lo+1000, n); i++ {
				at := t0.Add(time.Duration(i) * time.Minute)
				text := fmt.Sprintf("求助！我父亲需要透析，已经两周没透析了，浦东川沙%d弄，电话138%08d", i, i)
				c := &store.Case{Text: text, Urgency: urg[i%3], Category: triage.Category("dialysis"), Asker: fmt.Sprintf("wechat:u%d", i),
					AskerName: "王阿姨", SourceChat: "wechat:浦东互助1群", Phones: []string{fmt.Sprintf("138%08d", i)},
					Assignees: []string{"telegram:9"}, Created: at, Updated: at}
				if err := tx.CreateCase(c); err != nil {
					return err
				}
				if _, err := tx.AddSource(c.ID, store.Source{Kind: store.SourceFirst, Chat: c.SourceChat, Msg: fmt.Sprint(i), Sender: c.Asker, At: at, Text: text}); err != nil {
					return err
				}
				if err := tx.AppendEvent(&store.Event{Case: c.ID, At: at, Actor: "telegram:9", Kind: "note", Note: "已电话联系"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	e := env.New(env.Config{Store: st, Now: func() time.Time { return t0.Add(time.Duration(n+60) * time.Minute) }, Location: time.UTC, Language: "zh"})
	return New(e, cards.Renderer{}, Options{})
}

func TestExportOrderAndSheets(t *testing.T) {
	r := newTestReports(t, 7)
	var buf bytes.Buffer
	n, err := r.Export(context.Background(), FormatXLSX, "en", &buf)
	if err != nil || n != 7 {
		t.Fatalf("export: %d, %v", n, err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows("Cases")
	var ids []string
	for _, r := range rows[1:] {
		ids = append(ids, r[0]+r[1][:1])
	}
	// Critical (3, 6), high (2, 5), normal (1, 4, 7), oldest first in each.
	if got := strings.Join(ids, " "); got != "3C 6C 2H 5H 1n 4n 7n" {
		t.Errorf("order %s", got)
	}
	for sheet, want := range map[string]int{"Sources": 8, "History": 8} {
		if rows, _ := f.GetRows(sheet); len(rows) != want {
			t.Errorf("sheet %s has %d rows, want %d", sheet, len(rows), want)
		}
	}
	if _, err := r.Export(context.Background(), Format("pdf"), "en", io.Discard); err == nil {
		t.Error("a pdf export did not fail")
	}
}

// BenchmarkExport10k measures both formats on 10,000 cases.
func BenchmarkExport10k(b *testing.B) {
	r := newTestReports(b, 10000)
	for _, f := range []Format{FormatXLSX, FormatCSV} {
		b.Run(string(f), func(b *testing.B) {
			var size int
			for b.Loop() {
				var buf bytes.Buffer
				if _, err := r.Export(context.Background(), f, "zh", &buf); err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
			}
			b.ReportMetric(float64(size)/1e6, "MB")
		})
	}
}

func TestDownloads(t *testing.T) {
	d := Downloads{R: newTestReports(t, 2)}
	if got := strings.Join(d.Formats(), ","); got != "xlsx,csv" {
		t.Errorf("formats %s", got)
	}
	var buf bytes.Buffer
	name, err := d.Export(context.Background(), &buf, "csv", "zh")
	if err != nil || name != "lifeline-cases-20260410-100200.csv" || !strings.HasPrefix(buf.String(), "\ufeff\"编号\"") {
		t.Errorf("csv download: %q, %v, %.20q", name, err, buf.String())
	}
	if _, err := d.Export(context.Background(), io.Discard, "pdf", "zh"); err == nil {
		t.Error("a pdf download did not fail")
	}
}
