package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/lifeline-aid/lifeline/triage"
)

const scanTelegram = `{"name": "Mutual aid", "type": "public_supergroup", "id": 42, "messages": [
 {"id": 10, "type": "message", "date": "2022-04-10T09:30:00", "date_unixtime": "1649554200", "from": "Ann", "text": "Help! my father is unconscious and not breathing, 3 Elm Road, call 13812345678"},
 {"id": 11, "type": "message", "date": "2022-04-10T09:31:00", "date_unixtime": "1649554260", "from": "Bo", "text": "thanks everyone, the vegetables arrived"},
 {"id": 12, "type": "message", "date": "2022-04-10T09:40:00", "date_unixtime": "1649554800", "from": "Cy", "text": ["my mother is out of insulin since yesterday, call ", {"type": "phone", "text": "13912340000"}]}
]}`

const scanWeChat = `2022-04-10 09:30:15 王阿姨
求助！我父亲需要透析，已经两周没透析了，浦东川沙，电话13812345678

2022-04-10 09:31:02 李四
大家好，今天团购的菜到了

2022-04-10 09:35:40 张先生
求助：家里猫粮没了，徐汇区，有没有人能帮忙送点猫粮
`

func TestScanTelegramExportToCSV(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "result.json")
	if err := os.WriteFile(in, []byte(scanTelegram), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "pleas.csv")
	t.Setenv("LIFELINE_CONFIG", "")
	code, stdout, stderr := runCLI(t, nil, "scan", in, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	mustHave(t, stdout, "2 pleas in 3 messages (critical 1, high 1, normal 0) written to "+out)
	// Not a terminal: plain progress lines, no carriage returns.
	mustHave(t, stderr, "3 messages (telegram export)", "scanned 3/3 messages")
	if strings.Contains(stderr, "\r") {
		t.Errorf("a progress bar drawn into a pipe: %q", stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(string(data), "\ufeff")), "\r\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], `"Mutual aid#10","2022-04-10 09:30:00","Mutual aid","Ann","critical"`) ||
		!strings.Contains(lines[2], "13912340000") {
		t.Errorf("csv:\n%s", data)
	}
}

func TestScanWeChatExportToXLSXAndImport(t *testing.T) {
	cfg, data := offlineConfig(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "浦东互助1群.txt")
	if err := os.WriteFile(in, []byte(scanWeChat), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, nil, "scan", in, "-import", "-config", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out := filepath.Join(dir, "浦东互助1群-pleas.xlsx")
	mustHave(t, stdout, "2 pleas in 3 messages", out, "imported 2 new cases; 0 already imported.")
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("Pleas")
	if len(rows) != 3 || rows[1][3] != "王阿姨" || rows[1][4] != "critical" || rows[2][3] != "张先生" || rows[1][2] != "浦东互助1群" {
		t.Errorf("rows: %v", rows)
	}
	cases := storedCases(t, data)
	if len(cases) != 2 || cases[0].Urgency != triage.Critical || cases[0].AskerName != "王阿姨" ||
		cases[0].Created.Format("2006-01-02 15:04:05") != "2022-04-10 09:30:15" {
		t.Fatalf("cases: %+v", cases)
	}
	// Scanning the same export again records nothing new.
	code, stdout, _ = runCLI(t, nil, "scan", in, "-import", "-config", cfg)
	if code != 0 || !strings.Contains(stdout, "imported 0 new cases; 2 already imported.") {
		t.Errorf("second scan: exit %d:\n%s", code, stdout)
	}
	code, _, stderr = runCLI(t, nil, "scan", in, "-o", filepath.Join(dir, "x.pdf"))
	if code != 2 || !strings.Contains(stderr, "want a .xlsx or .csv file") {
		t.Errorf("bad -o: exit %d, %s", code, stderr)
	}
}
