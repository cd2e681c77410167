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

	"github.com/xuri/excelize/v2"

	"github.com/lifeline-aid/lifeline/bot"
)

// withExportDir sets the export directory and returns it.
func withExportDir(dir string) func(*bot.Options) {
	return func(o *bot.Options) { o.Workflow.ExportDir = dir }
}

func inChinese(o *bot.Options) { o.Language = "zh" }

// sentDocRe is how the console shows a document the bot sent.
var sentDocRe = regexp.MustCompile(`\[document (lifeline-cases-\S+\.(?:xlsx|csv))\] (?:共 )?(\d+)`)

// export sends cmd as the admin in the coordination chat, checks that a
// document with wantRows cases came back into the chat, and returns the
// file's bytes.
func export(t *testing.T, h *harness, dir, cmd, wantRows string) []byte {
	t.Helper()
	out := h.say("[volunteers] admin: " + cmd)
	m := sentDocRe.FindStringSubmatch(out)
	if m == nil || !strings.HasPrefix(out, "[volunteers] lifeline: [document ") {
		t.Fatalf("no document sent into the chat for %s:\n%s", cmd, out)
	}
	if m[2] != wantRows {
		t.Errorf("exported %s cases, want %s", m[2], wantRows)
	}
	data, err := os.ReadFile(filepath.Join(dir, m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// parseExport reads a CSV export as a spreadsheet would: BOM, then CSV; it
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

// sheetRows reads one sheet of an XLSX as maps by header.
func sheetRows(t *testing.T, f *excelize.File, sheet string) (header []string, rows []map[string]string) {
	t.Helper()
	recs, err := f.GetRows(sheet)
	if err != nil {
		t.Fatalf("sheet %s: %v", sheet, err)
	}
	if len(recs) == 0 {
		t.Fatalf("sheet %s is empty", sheet)
	}
	header = recs[0]
	for _, r := range recs[1:] {
		row := map[string]string{}
		for i, h := range header {
			if i < len(r) {
				row[h] = r[i]
			}
		}
		rows = append(rows, row)
	}
	return header, rows
}

func TestExportSendsXLSXInTheChatsLanguage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "exports") // created on demand
	h := newHarness(t, withExportDir(dir), inChinese)
	h.say("[intake] 李先生: " + normalPlea) // #1 normal, oldest
	h.advance(time.Minute)
	h.say("[intake2] 张女士: 急需胰岛素，我爸爸糖尿病，闵行区，电话13900001111") // #2 high
	h.advance(time.Minute)
	h.say("[intake] 王阿姨: " + criticalPlea) // #3 critical, newest
	h.advance(time.Minute)
	h.say("[intake] 赵阿姨: 救命！我妈妈昏迷了，叫不醒，宝山区，电话13711112222") // #4 critical, newer still
	h.advance(14 * time.Minute)
	h.say("[volunteers] admin: /claim 3")
	h.say("[volunteers] admin: /note 3 已电话联系，家属在等")
	h.advance(time.Hour)
	h.say("[volunteers] admin: /resolve 3 已安排浦东透析中心")

	data := export(t, h, dir, "/export", "4")
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the export is not an XLSX file: %v", err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "求助,来源,记录" {
		t.Errorf("sheets %s, want 求助,来源,记录", got)
	}
	header, rows := sheetRows(t, f, "求助")
	if header[0] != "编号" || header[1] != "紧急度" || header[2] != "状态" {
		t.Errorf("header not in Chinese: %v", header)
	}
	var order []string
	for _, r := range rows {
		order = append(order, r["编号"])
	}
	// Most urgent first; within an urgency, the longest waiting first.
	if got := strings.Join(order, ","); got != "3,4,2,1" {
		t.Errorf("case order %s, want 3,4,2,1", got)
	}
	r := rows[0]
	for col, v := range map[string]string{
		"紧急度": "危急", "状态": "已解决", "类别": "透析", "电话": "13812345678", "求助人": "王阿姨",
		"求助内容": criticalPlea, "负责人": "admin", "来源群": "互助1群", "备注": "已电话联系，家属在等",
		"创建时间": "2026-04-10 09:02", "首次响应(分钟)": "15", "解决用时(分钟)": "75",
	} {
		if r[col] != v {
			t.Errorf("case 3 %s = %q, want %q", col, r[col], v)
		}
	}
	if rows[2]["紧急度"] != "紧急" || rows[3]["紧急度"] != "一般" || rows[3]["状态"] != "新建" {
		t.Errorf("values not in Chinese: %v / %v", rows[2], rows[3])
	}
	if rows[2]["来源群"] != "互助2群" {
		t.Errorf("case 2 source group %q", rows[2]["来源群"])
	}
	// The header stays in view when scrolling, and rows carry their
	// urgency's colour.
	panes, err := f.GetPanes("求助")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("header not frozen: %+v, %v", panes, err)
	}
	fill := func(cell string) string {
		id, err := f.GetCellStyle("求助", cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil || len(st.Fill.Color) == 0 {
			return ""
		}
		return st.Fill.Color[0]
	}
	if c, n := fill("B2"), fill("B5"); c == "" || n == "" || c == n {
		t.Errorf("critical row fill %q, normal row fill %q: want two different colours", c, n)
	}

	_, srcs := sheetRows(t, f, "来源")
	if len(srcs) != 4 || srcs[0]["编号"] != "3" || srcs[0]["内容"] != criticalPlea || srcs[0]["群"] != "互助1群" {
		t.Errorf("sources sheet: %v", srcs)
	}
	_, hist := sheetRows(t, f, "记录")
	var kinds []string
	for _, e := range hist {
		if e["编号"] == "3" {
			kinds = append(kinds, e["事件"]+"/"+e["到"])
		}
	}
	if got := strings.Join(kinds, " "); !strings.Contains(got, "认领/") || !strings.Contains(got, "备注/") || !strings.Contains(got, "状态/已解决") {
		t.Errorf("history of #3 in Chinese: %s", got)
	}

	info, err := os.Stat(dir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("export directory: %v, %v", info, err)
	}
}

func TestExportCSVForExcel(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, withExportDir(dir))
	h.say("[intake] 王阿姨: " + criticalPlea)
	h.advance(time.Minute)
	h.say(`[intake] 某人: =HYPERLINK("http://evil.example","点我") 急需胰岛素，我爸爸糖尿病，闵行区，电话13900001111`)
	h.advance(time.Minute)
	h.say("[intake2] Ann: -2+3 help! my mother needs insulin today, call 13700002222")

	data := export(t, h, dir, "/export csv", "3")
	// Every record is quoted and ends with CRLF, as Excel and WPS expect.
	first, _, _ := bytes.Cut(bytes.TrimPrefix(data, []byte("\ufeff")), []byte("\r\n"))
	if !strings.HasPrefix(string(first), `"Case","Urgency","Status"`) {
		t.Errorf("header line %q is not quoted CSV in English", first)
	}
	if n := bytes.Count(data, []byte("\r\n")); n != 4 {
		t.Errorf("%d CRLF line ends, want 4 (header and 3 rows)", n)
	}
	if bytes.Count(data, []byte("\n")) != bytes.Count(data, []byte("\r\n")) {
		t.Error("the export has bare LF line ends")
	}
	_, rows := parseExport(t, data)
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	if rows[0]["Case"] != "1" || rows[0]["Urgency"] != "CRITICAL" || rows[0]["Status"] != "new" || rows[0]["Category"] != "dialysis" {
		t.Errorf("case 1: %v", rows[0])
	}
	// Cells a spreadsheet would run as formulas are neutralised.
	if got := rows[1]["Request"]; !strings.HasPrefix(got, `'=HYPERLINK("http://evil.example","点我")`) {
		t.Errorf("formula cell not neutralised: %q", got)
	}
	if got := rows[2]["Request"]; !strings.HasPrefix(got, "'-2+3 help!") {
		t.Errorf("minus cell not neutralised: %q", got)
	}
	if rows[1]["Resolution (min)"] != "" || rows[1]["Place"] != "闵行区" {
		t.Errorf("case 2: %v", rows[1])
	}
}

func TestExportOfPurgedCasesKeepsCountsOnly(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, withExportDir(dir))
	h.say("[intake] 王阿姨: " + criticalPlea)
	h.say("[volunteers] admin: /note 1 daughter at 13900009999")
	h.say("[volunteers] admin: /resolve 1")
	h.advance(100 * 24 * time.Hour)
	if n, err := h.st.Purge(context.Background(), h.now(), 90*24*time.Hour); err != nil || n != 1 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	_, rows := parseExport(t, export(t, h, dir, "/export csv", "1"))
	r := rows[0]
	if r["Request"] != "" || r["Phone"] != "" || r["Place"] != "" || r["Asker"] != "" || r["Notes"] != "" {
		t.Errorf("purged case exported personal data: %v", r)
	}
	if r["Status"] != "resolved" || r["Urgency"] != "CRITICAL" || r["Sources"] != "1" || r["Resolution (min)"] != "0" {
		t.Errorf("purged case lost its counts: %v", r)
	}
	f, err := excelize.OpenReader(bytes.NewReader(export(t, h, dir, "/export xlsx", "1")))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, sheet := range f.GetSheetList() {
		rows, _ := f.GetRows(sheet)
		for _, r := range rows {
			if s := strings.Join(r, "|"); strings.Contains(s, "1381234") || strings.Contains(s, "13900009999") || strings.Contains(s, "王阿姨") {
				t.Errorf("purged case's personal data in sheet %s: %s", sheet, s)
			}
		}
	}
}

func TestExportTwiceInOneSecondKeepsBoth(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, withExportDir(dir))
	h.say("[intake] 王阿姨: " + criticalPlea)
	a := h.say("[volunteers] admin: /export")
	b := h.say("[volunteers] admin: /export")
	pa, pb := sentDocRe.FindStringSubmatch(a), sentDocRe.FindStringSubmatch(b)
	if pa == nil || pb == nil || pa[1] == pb[1] {
		t.Fatalf("two exports, files %v and %v", pa, pb)
	}
}

func TestExportInCoordinatorsPrivateChat(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, withExportDir(dir))
	h.say("[intake] 王阿姨: " + criticalPlea)
	out := h.say("[@admin] admin: /export")
	if !strings.HasPrefix(out, "[@admin] lifeline: [document lifeline-cases-") {
		t.Errorf("no document in the coordinator's private chat:\n%s", out)
	}
}

func TestExportRefused(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, withExportDir(dir))
	h.say("[intake] 王阿姨: " + criticalPlea)
	h.say("[volunteers] carol: /volunteer")
	mustContain(t, h.say("[volunteers] carol: /export"), "needs the coordinator role")
	mustContain(t, h.say("[@carol] carol: /export"), "needs the coordinator role")
	h.say("[intake] admin: /export")
	mustContain(t, h.say("[volunteers] admin: /export pdf"), `"pdf" is not an export format`, "Usage: /export [xlsx|csv]")
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("a refused /export wrote %d files", len(files))
	}
	logs := h.logs.String()
	if strings.Count(logs, "command refused") < 3 || !strings.Contains(logs, "cmd=export") {
		t.Errorf("refusals are not logged:\n%s", logs)
	}

	h2 := newHarness(t) // no export directory configured
	mustContain(t, h2.say("[volunteers] admin: /export"), "Export is not set up")
}

// The board downloads through Engine.Export, named like /export's files.
func TestEngineExportForTheBoard(t *testing.T) {
	h := newHarness(t)
	h.say("[intake] 王阿姨: " + criticalPlea)
	var buf bytes.Buffer
	n, err := h.e.Export(context.Background(), "csv", "zh", &buf)
	if err != nil || n != 1 {
		t.Fatalf("export: %d, %v", n, err)
	}
	header, rows := parseExport(t, buf.Bytes())
	if header[0] != "编号" || rows[0]["紧急度"] != "危急" {
		t.Errorf("header %v, row %v", header, rows[0])
	}
	if name := h.e.ExportName("xlsx"); name != "lifeline-cases-20260410-090000.xlsx" {
		t.Errorf("name %q", name)
	}
}

// A thread of the coordination chat is a case room, where the asker may
// read: no export there.
func TestExportRefusedInARoomThread(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, withExportDir(dir))
	h.say("[intake] 王阿姨: " + criticalPlea)
	out := h.handle(bot.Message{Chat: "console:volunteers", Thread: "7", ID: "t1", Sender: "console:admin", SenderName: "admin",
		Text: "/export", Time: h.now()})
	mustContain(t, out, "/export works in the volunteers' coordination chat or in a private chat with me.")
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Errorf("a refused /export wrote %d files", len(files))
	}
}
