package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// offlineConfig writes a config with a console platform and a data dir.
func offlineConfig(t *testing.T) (cfgPath, dataDir string) {
	t.Helper()
	dir := t.TempDir()
	dataDir = filepath.Join(dir, "data")
	cfgPath = filepath.Join(dir, "config.yaml")
	yaml := "data_dir: " + dataDir + `
language: zh
timezone: Asia/Shanghai
admins: ["console:admin"]
platforms:
  console: {enabled: true}
groups:
  - {chat: "console:intake", role: intake, name: 互助1群}
  - {chat: "console:volunteers", role: coordination}
`
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dataDir
}

// storedCases reads every case from the data dir's database.
func storedCases(t *testing.T, dataDir string) []*store.Case {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(dataDir, "lifeline.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out []*store.Case
	_ = st.View(context.Background(), func(tx *store.Tx) error {
		return tx.ForEachCase(func(c *store.Case) error { out = append(out, c); return nil })
	})
	return out
}

// A team's sheet, as teams kept them in 2022: Chinese headers, their own
// urgency and status words, a blank row, a row without a request.
func writeTeamSheet(t *testing.T, path string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{
		{"序号", "登记时间", "求助人", "联系电话", "小区地址", "具体需求", "紧急程度", "处理状态", "跟进记录", "志愿者"},
		{1, "2022/4/10 09:30", "王阿姨", "13812345678", "浦东川沙新镇某小区", "父亲透析已经两周没做了，需要联系透析医院", "特急", "跟进中", "已联系居委", "小李"},
		{2, "2022/4/10 10:05", "张先生", "13900001111", "闵行区", "家里猫粮没了", "一般", "已完成", "", "小王"},
		{},
		{3, "2022/4/10 11:00", "", "", "", "", "", "", "", ""},
		{4, "2022/4/10 11:20", "赵女士", "13700002222", "徐汇区", "孩子高烧39度，需要退烧药", "", "", "", ""},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func TestImportCasesDryRunApplyAndReimport(t *testing.T) {
	cfg, data := offlineConfig(t)
	sheet := filepath.Join(t.TempDir(), "求助登记.xlsx")
	writeTeamSheet(t, sheet)

	code, out, stderr := runCLI(t, nil, "import", "cases", sheet, "-config", cfg)
	if code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, stderr)
	}
	mustHave(t, out, "具体需求 → text", "联系电话 → phone", "小区地址 → place", "志愿者 → (ignored)",
		"line 2: new critical in_progress", "line 3: new normal resolved", "line 5: skipped: no request text",
		"would import 3 new cases; 0 already imported; 1 rows skipped.", "add --apply")
	if n := len(storedCases(t, data)); n != 0 {
		t.Fatalf("a dry run recorded %d cases", n)
	}

	code, out, stderr = runCLI(t, nil, "import", "cases", sheet, "--apply", "-config", cfg)
	if code != 0 {
		t.Fatalf("apply: exit %d: %s", code, stderr)
	}
	mustHave(t, out, "line 2: #1 critical in_progress", "imported 3 new cases")
	cases := storedCases(t, data)
	if len(cases) != 3 {
		t.Fatalf("%d cases, want 3", len(cases))
	}
	c := cases[0]
	if c.Text != "父亲透析已经两周没做了，需要联系透析医院" || c.Urgency != triage.Critical || c.Status != store.StatusInProgress ||
		len(c.Phones) != 1 || c.Phones[0] != "13812345678" || c.AskerName != "王阿姨" || c.Address != "浦东川沙新镇某小区" ||
		c.Created.Format("2006-01-02 15:04") != "2022-04-10 09:30" {
		t.Errorf("case 1: %+v", c)
	}
	if cases[1].Status != store.StatusResolved || cases[1].Finished.IsZero() || cases[2].Urgency < triage.High {
		t.Errorf("cases 2, 3: %+v / %+v", cases[1], cases[2])
	}

	// The same file again changes nothing.
	code, out, _ = runCLI(t, nil, "import", "cases", sheet, "--apply", "-config", cfg)
	if code != 0 || !strings.Contains(out, "imported 0 new cases; 3 already imported") || !strings.Contains(out, "line 2: already imported as #1") {
		t.Errorf("re-import: exit %d:\n%s", code, out)
	}
	if n := len(storedCases(t, data)); n != 3 {
		t.Errorf("re-import left %d cases, want 3", n)
	}
}

// A CSV saved by Excel on a Chinese Windows is GBK; --map names a column
// no synonym knows.
func TestImportGBKCSVWithMap(t *testing.T) {
	cfg, data := offlineConfig(t)
	text := "单号,留言,电话\r\nA1,外婆独居，家里没有吃的了，宝山区,13612345678\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "list.csv")
	if err := os.WriteFile(file, []byte(gbk), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, nil, "import", "cases", file, "-config", cfg)
	if code != 1 || !strings.Contains(stderr, `no column for "text"`) || !strings.Contains(stderr, "留言") {
		t.Errorf("unmapped text column: exit %d, %s", code, stderr)
	}
	code, out, stderr := runCLI(t, nil, "import", "cases", file, "--map", "留言=text", "--map", "单号=ref", "--apply", "-config", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	mustHave(t, out, "imported 1 new cases")
	cases := storedCases(t, data)
	if len(cases) != 1 || cases[0].Text != "外婆独居，家里没有吃的了，宝山区" {
		t.Errorf("cases: %+v", cases)
	}
	code, _, stderr = runCLI(t, nil, "import", "cases", file, "--map", "留言=nonsense", "-config", cfg)
	if code != 1 || !strings.Contains(stderr, `unknown field "nonsense"`) {
		t.Errorf("bad --map: exit %d, %s", code, stderr)
	}
}

// While the bot runs it holds the database; import says to stop it.
func TestImportWhileTheBotRunsSaysStopIt(t *testing.T) {
	cfg, data := offlineConfig(t)
	sheet := filepath.Join(t.TempDir(), "s.xlsx")
	writeTeamSheet(t, sheet)
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(data, "lifeline.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	code, _, stderr := runCLI(t, nil, "import", "cases", sheet, "--apply", "-config", cfg)
	if code != 1 || !strings.Contains(stderr, "in use by the running bot: stop the bot") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func mustHave(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
}

// --alert queues the usual alert for imported open urgent cases (sent
// when the bot starts); without it nothing is queued.
func TestImportAlertsOnlyWhenAsked(t *testing.T) {
	pending := func(dataDir string) int {
		st, err := store.Open(context.Background(), filepath.Join(dataDir, "lifeline.db"), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var n int
		_ = st.View(context.Background(), func(tx *store.Tx) error {
			n, err = tx.PendingOutbox()
			return err
		})
		return n
	}
	for _, alert := range []bool{false, true} {
		cfg, data := offlineConfig(t)
		sheet := filepath.Join(t.TempDir(), "s.xlsx")
		writeTeamSheet(t, sheet)
		args := []string{"import", "cases", sheet, "--apply", "-config", cfg}
		if alert {
			args = append(args, "--alert")
		}
		code, out, stderr := runCLI(t, nil, args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		n := pending(data)
		switch {
		case !alert && n != 0:
			t.Errorf("a silent import queued %d messages", n)
		case alert && (n == 0 || !strings.Contains(out, "2 alerts queued")):
			// Rows 2 (critical, in progress) and 6 (high, new) are open and urgent.
			t.Errorf("--alert: %d queued; output:\n%s", n, out)
		}
	}
}
