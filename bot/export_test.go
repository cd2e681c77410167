package bot_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
)

// withExportDir sets the export directory and returns it.
func withExportDir(dir string) func(*bot.Options) {
	return func(o *bot.Options) { o.Workflow.ExportDir = dir }
}

var exportedRe = regexp.MustCompile(`✓ Exported (\d+) cases to (\S+\.csv)`)

// export runs /export as the admin and returns the file's bytes.
func export(t *testing.T, h *harness, wantRows string) []byte {
	t.Helper()
	out := h.say("[volunteers] admin: /export")
	m := exportedRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no export confirmation in:\n%s", out)
	}
	if m[1] != wantRows {
		t.Errorf("exported %s cases, want %s", m[1], wantRows)
	}
	data, err := os.ReadFile(m[2])
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// parseExport reads an export as a spreadsheet would: BOM, then CSV; it
// returns the rows as maps by column name.
func parseExport(t *testing.T, data []byte) (header []string, rows []map[string]string) {
	t.Helper()
	body, ok := bytes.CutPrefix(data, []byte("\ufeff"))
	if !ok {
		t.Fatal("the export has no UTF-8 BOM: Excel would show Chinese as mojibake")
	}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("the export is not valid CSV: %v", err)
	}
	header = recs[0]
	for _, r := range recs[1:] {
		row := map[string]string{}
		for i, h := range header {
			row[h] = r[i]
		}
		rows = append(rows, row)
	}
	return header, rows
}

func TestExportWritesCSVForExcel(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "exports") // created on demand
	h := newHarness(t, withExportDir(dir))
	h.say("[intake] 王阿姨: " + criticalPlea)
	h.advance(time.Minute)
	h.say(`[intake] 某人: =HYPERLINK("http://evil.example","点我") 急需胰岛素，我爸爸糖尿病，闵行区，电话13900001111`)
	h.advance(time.Minute)
	h.say("[intake2] Ann: -2+3 help! my mother needs insulin today, call 13700002222")
	h.advance(14 * time.Minute)
	h.say("[volunteers] admin: /claim 1")
	h.advance(time.Hour)
	h.say("[volunteers] admin: /resolve 1 arranged at 浦东透析中心")

	data := export(t, h, "3")
	// Every record is quoted and ends with CRLF, as Excel and WPS expect.
	first, _, _ := bytes.Cut(bytes.TrimPrefix(data, []byte("\ufeff")), []byte("\r\n"))
	if !strings.HasPrefix(string(first), `"id","created","updated","status"`) {
		t.Errorf("header line %q is not quoted CSV", first)
	}
	if n := bytes.Count(data, []byte("\r\n")); n != 4 {
		t.Errorf("%d CRLF line ends, want 4 (header and 3 rows)", n)
	}
	if bytes.Count(data, []byte("\n")) != bytes.Count(data, []byte("\r\n")) {
		t.Error("the export has bare LF line ends")
	}
	header, rows := parseExport(t, data)
	want := "id,created,updated,status,close_reason,urgency,category,places,vulnerable,phone,text,assignees,sources,first_response_minutes,resolution_minutes"
	if got := strings.Join(header, ","); got != want {
		t.Errorf("header\n got %s\nwant %s", got, want)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	r := rows[0]
	for col, v := range map[string]string{
		"id": "1", "created": "2026-04-10 09:00", "status": "resolved", "urgency": "critical", "category": "dialysis",
		"phone": "13812345678", "text": criticalPlea, "assignees": "console:admin", "sources": "1",
		"first_response_minutes": "16", "resolution_minutes": "76",
	} {
		if r[col] != v {
			t.Errorf("case 1 %s = %q, want %q", col, r[col], v)
		}
	}
	// Cells a spreadsheet would run as formulas are neutralised.
	if got := rows[1]["text"]; !strings.HasPrefix(got, `'=HYPERLINK("http://evil.example","点我")`) {
		t.Errorf("formula cell not neutralised: %q", got)
	}
	if got := rows[2]["text"]; !strings.HasPrefix(got, "'-2+3 help!") {
		t.Errorf("minus cell not neutralised: %q", got)
	}
	if rows[1]["resolution_minutes"] != "" || rows[1]["places"] != "闵行区" {
		t.Errorf("case 2: %v", rows[1])
	}
	info, err := os.Stat(dir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("export directory: %v, %v", info, err)
	}
}

func TestExportOfPurgedCasesKeepsCountsOnly(t *testing.T) {
	h := newHarness(t, withExportDir(t.TempDir()))
	h.say("[intake] 王阿姨: " + criticalPlea)
	h.say("[volunteers] admin: /resolve 1")
	h.advance(100 * 24 * time.Hour)
	if n, err := h.st.Purge(context.Background(), h.now(), 90*24*time.Hour); err != nil || n != 1 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	_, rows := parseExport(t, export(t, h, "1"))
	r := rows[0]
	if r["text"] != "" || r["phone"] != "" || r["places"] != "" {
		t.Errorf("purged case exported personal data: %v", r)
	}
	if r["status"] != "resolved" || r["urgency"] != "critical" || r["sources"] != "1" || r["resolution_minutes"] != "0" {
		t.Errorf("purged case lost its counts: %v", r)
	}
}

func TestExportTwiceInOneSecondKeepsBoth(t *testing.T) {
	h := newHarness(t, withExportDir(t.TempDir()))
	h.say("[intake] 王阿姨: " + criticalPlea)
	a := h.say("[volunteers] admin: /export")
	b := h.say("[volunteers] admin: /export")
	pa, pb := exportedRe.FindStringSubmatch(a), exportedRe.FindStringSubmatch(b)
	if pa == nil || pb == nil || pa[2] == pb[2] {
		t.Fatalf("two exports, paths %v and %v", pa, pb)
	}
}

func TestExportRefused(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, withExportDir(dir))
	h.say("[volunteers] carol: /volunteer")
	mustContain(t, h.say("[volunteers] carol: /export"), "needs the coordinator role")
	mustContain(t, h.say("[intake] admin: /export"), "coordination chat")
	mustContain(t, h.say("[@admin] admin: /export"), "coordination chat")
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("a refused /export wrote %d files", len(files))
	}
	if !strings.Contains(h.logs.String(), "command refused") {
		t.Error("refusals are not logged")
	}

	h2 := newHarness(t) // no export directory configured
	mustContain(t, h2.say("[volunteers] admin: /export"), "Export is not set up")
}
