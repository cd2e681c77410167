package board_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/bot/board"
	"github.com/lifeline-aid/lifeline/bot/sheets"
	"github.com/lifeline-aid/lifeline/store"
)

// lateImporter is the engine's ImportCases, for an engine made after the
// board's options.
type lateImporter struct{ e **bot.Engine }

func (l lateImporter) ImportCases(ctx context.Context, t *sheets.Table, o bot.ImportOptions) (*bot.ImportReport, error) {
	return (*l.e).ImportCases(ctx, t, o)
}

func newImportHarness(t testing.TB, opts ...func(*board.Options)) *harness {
	t.Helper()
	var e *bot.Engine
	h := newHarness(t, append([]func(*board.Options){func(o *board.Options) { o.Importer = lateImporter{&e} }}, opts...)...)
	e = h.e
	h.team()
	return h
}

const sheetCSV = "编号,求助内容,电话,地址,紧急程度\n" +
	"1,家里老人透析中断三天了，急需送医,13800001111,浦东新区张江路1号,危急\n" +
	"2,需要买菜 <script>alert(1)</script>,13800002222,黄浦区,一般\n" +
	"3,,13800003333,徐汇区,\n"

// upload posts the import form as a browser would: csrf (unless empty),
// map, and the file, with the board's Origin.
func (c *client) upload(csrf, name string, data []byte, mapText string) (int, string) {
	c.h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf != "" {
		_ = mw.WriteField("csrf", csrf)
	}
	_ = mw.WriteField("map", mapText)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.url("/board/import"), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", c.h.srv.URL)
	resp, err := c.c.Do(req)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// importToken reads the page's token after opening the import page.
func (c *client) importToken() string {
	c.h.t.Helper()
	code, page := c.get("/board/import")
	if code != http.StatusOK {
		c.h.t.Fatalf("import page %d:\n%s", code, page)
	}
	return c.csrf(page)
}

var uploadRE = regexp.MustCompile(`name="upload" value="([^"]+)"`)

func uploadID(t testing.TB, page string) string {
	t.Helper()
	m := uploadRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no Import button on the preview:\n%s", page)
	}
	return m[1]
}

func countCases(t *testing.T, h *harness) int {
	t.Helper()
	n := 0
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		return tx.ForEachCase(func(*store.Case) error { n++; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// A coordinator previews a sheet (nothing recorded), imports it (cases
// recorded silently, under their id), and importing it again, by the same
// preview or a new upload, records nothing more.
func TestBoardImportPreviewApplyReimport(t *testing.T) {
	h := newImportHarness(t)
	before := countCases(t, h) // the team's case #1
	c := h.signIn("coord")
	_, sheet := c.get("/board/")
	mustContain(t, sheet, `href="/board/import"`)

	tok := c.importToken()
	code, page := c.upload(tok, "team.csv", []byte(sheetCSV), "")
	if code != http.StatusOK {
		t.Fatalf("preview %d:\n%s", code, page)
	}
	mustContain(t, page, "2 new cases to import; 0 already imported; 1 rows skipped.",
		"透析中断", "no request text", "编号", "ref", "求助内容", "text", `class="u-critical"`)
	mustContain(t, page, "&lt;script&gt;alert(1)&lt;/script&gt;")
	mustNotContain(t, page, "<script>alert(1)")
	if n := countCases(t, h); n != before {
		t.Fatalf("the preview recorded cases: %d, want %d", n, before)
	}
	id := uploadID(t, page)

	apply := url.Values{"csrf": {tok}, "upload": {id}}
	code, page = c.post("/board/import", apply, h.srv.URL)
	if code != http.StatusOK {
		t.Fatalf("import %d:\n%s", code, page)
	}
	mustContain(t, page, "2 new cases imported; 0 already imported; 1 rows skipped.", `href="/board/case/2"`, `href="/board/case/3"`)
	if n := countCases(t, h); n != before+2 {
		t.Fatalf("cases after import: %d, want %d", n, before+2)
	}
	// Without the box ticked nobody is alerted, even for a critical row.
	if out := h.flush(); strings.Contains(out, "透析") {
		t.Errorf("an import without alerting sent:\n%s", out)
	}
	var evs []store.Event
	_ = h.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		evs, err = tx.Events(2)
		return err
	})
	found := false
	for _, ev := range evs {
		if ev.Kind == "import" {
			found = true
			if ev.Actor != "console:coord" || !strings.Contains(ev.Note, "team.csv line 2") {
				t.Errorf("import event %+v, want by console:coord from team.csv line 2", ev)
			}
		}
	}
	if !found {
		t.Errorf("no import event on #2: %+v", evs)
	}
	mustContain(t, h.logs.String(), "board import", "person=console:coord")

	// The same preview pressed again, then the same file uploaded again.
	code, page = c.post("/board/import", apply, h.srv.URL)
	if code != http.StatusOK {
		t.Fatalf("second import %d:\n%s", code, page)
	}
	mustContain(t, page, "0 new cases imported; 2 already imported; 1 rows skipped.")
	code, page = c.upload(tok, "team-again.csv", []byte(sheetCSV), "")
	if code != http.StatusOK {
		t.Fatalf("re-upload %d:\n%s", code, page)
	}
	mustContain(t, page, "0 new cases to import; 2 already imported", "Nothing new to import.", "already imported as")
	mustNotContain(t, page, `name="upload"`)
	if n := countCases(t, h); n != before+2 {
		t.Fatalf("cases after re-import: %d, want %d", n, before+2)
	}
}

// With the box ticked, the critical row alerts the coordination chat.
func TestBoardImportAlertsWhenAsked(t *testing.T) {
	h := newImportHarness(t)
	c := h.signIn("coord")
	tok := c.importToken()
	_, page := c.upload(tok, "team.csv", []byte(sheetCSV), "")
	code, page := c.post("/board/import", url.Values{"csrf": {tok}, "upload": {uploadID(t, page)}, "alert": {"1"}}, h.srv.URL)
	if code != http.StatusOK {
		t.Fatalf("import %d:\n%s", code, page)
	}
	mustContain(t, page, "1 alerts queued.")
	out := h.flush()
	if !strings.Contains(out, "[volunteers]") || !strings.Contains(out, "透析中断") {
		t.Errorf("no alert in the coordination chat:\n%s", out)
	}
}

// Volunteers below coordinator see no link and are refused, logged.
func TestBoardImportRefusesVolunteers(t *testing.T) {
	h := newImportHarness(t)
	c := h.signIn("vol")
	_, sheet := c.get("/board/")
	mustNotContain(t, sheet, "/board/import")
	if code, page := c.get("/board/import"); code != http.StatusForbidden || !strings.Contains(page, "Only coordinators") {
		t.Errorf("volunteer import page: %d\n%s", code, page)
	}
	_, any := c.get("/board/")
	code, _ := c.upload(c.csrf(any), "team.csv", []byte(sheetCSV), "")
	if code != http.StatusForbidden {
		t.Errorf("volunteer upload: %d", code)
	}
	mustContain(t, h.logs.String(), "board import refused", "person=console:vol")
	if code, _ := h.client().get("/board/import"); code != http.StatusUnauthorized {
		t.Errorf("no session: %d", code)
	}
}

// A form without the session's token, or from another origin, records
// nothing.
func TestBoardImportNeedsCSRF(t *testing.T) {
	h := newImportHarness(t)
	before := countCases(t, h)
	c := h.signIn("coord")
	if code, _ := c.upload("", "team.csv", []byte(sheetCSV), ""); code != http.StatusForbidden {
		t.Errorf("upload without token: %d", code)
	}
	if code, _ := c.upload("forged", "team.csv", []byte(sheetCSV), ""); code != http.StatusForbidden {
		t.Errorf("upload with a forged token: %d", code)
	}
	tok := c.importToken()
	_, page := c.upload(tok, "team.csv", []byte(sheetCSV), "")
	id := uploadID(t, page)
	if code, _ := c.post("/board/import", url.Values{"upload": {id}}, h.srv.URL); code != http.StatusForbidden {
		t.Errorf("import without token: %d", code)
	}
	if code, _ := c.post("/board/import", url.Values{"csrf": {tok}, "upload": {id}}, "http://evil.example"); code != http.StatusForbidden {
		t.Errorf("import from another origin: %d", code)
	}
	if n := countCases(t, h); n != before {
		t.Errorf("refused imports recorded cases: %d, want %d", n, before)
	}
	mustContain(t, h.logs.String(), "CSRF check failed")
}

// A file over the limit is refused with the limit named; nothing kept.
func TestBoardImportRefusesOversize(t *testing.T) {
	h := newImportHarness(t, func(o *board.Options) { o.ImportMaxBytes = 64 << 10 })
	c := h.signIn("coord")
	tok := c.importToken()
	big := []byte("求助内容\n" + strings.Repeat("需要买菜，小区封控三天了\n", 4000))
	code, page := c.upload(tok, "big.csv", big, "")
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize: %d\n%.400s", code, page)
	}
	mustContain(t, page, "The file is larger than 0 MB.")
	mustNotContain(t, page, `name="upload"`)

	// The default limit is 10 MB, and says so.
	h2 := newImportHarness(t)
	c2 := h2.signIn("coord")
	tok2 := c2.importToken()
	code, page = c2.upload(tok2, "big.csv", bytes.Repeat([]byte("x"), board.DefaultImportMaxBytes+1), "")
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize at the default: %d\n%.400s", code, page)
	}
	mustContain(t, page, "The file is larger than 10 MB.")
}

// A CSV saved by Excel on a Chinese Windows (GBK) reads the same, with a
// column map for a header nobody foresaw; the page follows the
// coordinator's language.
func TestBoardImportGBKAndMap(t *testing.T) {
	h := newImportHarness(t)
	h.setLanguage("console:coord", "zh")
	c := h.signIn("coord")
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("求助者留言,联系电话,小区\n胰岛素快用完了,13900001111,浦东新区金桥\n"))
	if err != nil {
		t.Fatal(err)
	}
	tok := c.importToken()
	code, page := c.upload(tok, "gbk.csv", gbk, "求助者留言=text")
	if code != http.StatusOK {
		t.Fatalf("preview %d:\n%s", code, page)
	}
	mustContain(t, page, "胰岛素快用完了", "求助者留言", "将新导入 1 单")
	code, page = c.post("/board/import", url.Values{"csrf": {tok}, "upload": {uploadID(t, page)}}, h.srv.URL)
	if code != http.StatusOK {
		t.Fatalf("import %d:\n%s", code, page)
	}
	var got *store.Case
	_ = h.st.View(context.Background(), func(tx *store.Tx) error {
		got, err = tx.Case(2)
		return err
	})
	if got == nil || got.Text != "胰岛素快用完了" || got.Address != "浦东新区金桥" {
		t.Errorf("imported case: %+v", got)
	}

	// A map naming no column is the person's mistake, shown, nothing kept.
	code, page = c.upload(tok, "gbk.csv", gbk, "不存在=text")
	if code != http.StatusBadRequest || !strings.Contains(page, "不存在") {
		t.Errorf("bad map: %d\n%.600s", code, page)
	}
	code, page = c.upload(tok, "gbk.csv", gbk, "nonsense")
	if code != http.StatusBadRequest || !strings.Contains(page, "COLUMN=FIELD") {
		t.Errorf("malformed map: %d\n%.600s", code, page)
	}
}

// An XLSX reads too; its preview is kept only for its uploader and only
// for a few minutes.
func TestBoardImportXLSXAndExpiry(t *testing.T) {
	h := newImportHarness(t)
	f := excelize.NewFile()
	for i, row := range [][]any{{"Request", "Phone", "Address"}, {"out of insulin for 3 days", "13700001111", "Huangpu"}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		_ = f.SetSheetRow("Sheet1", cell, &row)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	c := h.signIn("coord")
	tok := c.importToken()
	code, page := c.upload(tok, "team.xlsx", buf.Bytes(), "")
	if code != http.StatusOK {
		t.Fatalf("preview %d:\n%s", code, page)
	}
	mustContain(t, page, "out of insulin for 3 days", "1 new cases to import")
	id := uploadID(t, page)

	// Another coordinator cannot import someone else's preview.
	h.say("[@admin] admin: hi")
	a := h.signIn("admin")
	atok := a.importToken()
	if code, page := a.post("/board/import", url.Values{"csrf": {atok}, "upload": {id}}, h.srv.URL); code != http.StatusGone {
		t.Errorf("another person's preview: %d\n%.300s", code, page)
	}

	h.advance(16 * time.Minute)
	code, page = c.post("/board/import", url.Values{"csrf": {tok}, "upload": {id}}, h.srv.URL)
	if code != http.StatusGone || !strings.Contains(page, "expired") {
		t.Errorf("expired preview: %d\n%.300s", code, page)
	}
	if n := countCases(t, h); n != 1 {
		t.Errorf("cases: %d, want the team's one", n)
	}
}

// sheet10k is a team's sheet of n rows, distinct per tag.
func sheet10k(n int, tag string) []byte {
	var b strings.Builder
	b.WriteString("编号,求助内容,电话,地址,紧急程度,状态\n")
	for i := range n {
		fmt.Fprintf(&b, "%s-%d,家里老人高血压药还剩两天 需要代购 第%d户,138%08d,浦东新区张江路%d号,%s,%s\n",
			tag, i, i, i, i%500, []string{"一般", "紧急", "危急"}[i%3], []string{"待处理", "跟进中", "已完成"}[i%3])
	}
	return []byte(b.String())
}

// BenchmarkImportPreview10k previews a 10,000-row CSV on the board: the
// upload, the dry run and the page (its first 500 rows), per request.
func BenchmarkImportPreview10k(b *testing.B) {
	h := newImportHarness(b)
	c := h.signIn("coord")
	tok := c.importToken()
	data := sheet10k(10000, "p")
	var size int
	for b.Loop() {
		code, page := c.upload(tok, "big.csv", data, "")
		if code != http.StatusOK || !strings.Contains(page, "10000 new cases to import") {
			b.Fatalf("preview %d: %.300s", code, page)
		}
		size = len(page)
	}
	b.ReportMetric(float64(len(data)), "file-B")
	b.ReportMetric(float64(size), "page-B")
}

// BenchmarkImportApply10k records a 10,000-row CSV from its preview (a
// new sheet each time, so every row is new).
func BenchmarkImportApply10k(b *testing.B) {
	h := newImportHarness(b)
	c := h.signIn("coord")
	tok := c.importToken()
	i := 0
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		i++
		_, page := c.upload(tok, "big.csv", sheet10k(10000, fmt.Sprint("a", i)), "")
		id := uploadID(b, page)
		b.StartTimer()
		code, page := c.post("/board/import", url.Values{"csrf": {tok}, "upload": {id}}, h.srv.URL)
		if code != http.StatusOK || !strings.Contains(page, "10000 new cases imported") {
			b.Fatalf("import %d: %.300s", code, page)
		}
	}
}

// TestBrowserImport uploads a sheet through the page in headless Chromium:
// the file input, Preview, then Import.
func TestBrowserImport(t *testing.T) {
	ctx := browser(t)
	h := newImportHarness(t)
	file := filepath.Join(t.TempDir(), "team.csv")
	if err := os.WriteFile(file, []byte(sheetCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := do(t, ctx,
		chromedp.Navigate(h.link("coord")),
		chromedp.Click(css("#signin")),
		chromedp.WaitVisible(css("#case-1")),
		chromedp.Click(css(`a[href="/board/import"]`)),
		chromedp.WaitVisible(css("#import-form")),
		chromedp.SetUploadFiles(css(`input[name="file"]`), []string{file}),
		chromedp.Click(css("#import-preview")),
		chromedp.WaitVisible(css("#import-go")),
	); err != nil {
		t.Fatalf("preview: %v", err)
	}
	totals, err := run(t, ctx, chromedp.Text(css("#import-totals")))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, totals, "2 new cases to import")
	if err := do(t, ctx, chromedp.Click(css("#import-go")), chromedp.WaitVisible(css(`a[href="/board/case/3"]`))); err != nil {
		t.Fatalf("import: %v", err)
	}
	totals, err = run(t, ctx, chromedp.Text(css("#import-totals")))
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, totals, "2 new cases imported")
	if n := countCases(t, h); n != 3 {
		t.Errorf("cases after the browser's import: %d, want 3", n)
	}
}
