package eval

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/triage"
)

func TestRunLevels(t *testing.T) {
	var out bytes.Buffer
	if err := Run([]string{"-data", "testdata/levels.tsv", "-json"}, &out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"critical", "high", "normal", "none", "request", "urgent", "label \\ predicted", "1 row(s) with unknown labels"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	var rep struct {
		N       int                `json:"n"`
		Request Metrics            `json:"request"`
		Urgent  *Metrics           `json:"urgent"`
		Classes map[string]Metrics `json:"classes"`
		Unknown int                `json:"unknown_labels"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		t.Fatalf("last line is not JSON: %v\n%s", err, lines[len(lines)-1])
	}
	if rep.N != 7 || rep.Unknown != 1 {
		t.Errorf("n=%d unknown=%d, want 7 and 1", rep.N, rep.Unknown)
	}
	// Rows 1,2,3,6,7 are requests; the engine finds 1,2,3,7 and rightly
	// refuses the offer in row 6 (labelled high here on purpose).
	if rep.Request.TP != 4 || rep.Request.FN != 1 || rep.Request.FP != 0 {
		t.Errorf("request = %+v", rep.Request)
	}
	if rep.Request.Precision != 1 || rep.Request.Recall != 0.8 || rep.Request.F1 != 0.8889 {
		t.Errorf("request metrics = %+v", rep.Request)
	}
	if rep.Urgent == nil || rep.Urgent.TP != 3 || rep.Urgent.FN != 1 {
		t.Errorf("urgent = %+v", rep.Urgent)
	}
	if len(rep.Classes) != 4 {
		t.Errorf("classes = %v", rep.Classes)
	}
}

func TestRunBinary(t *testing.T) {
	var out bytes.Buffer
	if err := Run([]string{"-json", "-data", "testdata/binary.tsv"}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	var rep map[string]any
	if err := json.Unmarshal([]byte(last), &rep); err != nil {
		t.Fatal(err)
	}
	if _, ok := rep["urgent"]; ok {
		t.Errorf("binary report has urgent: %s", last)
	}
	if _, ok := rep["classes"]; ok {
		t.Errorf("binary report has classes: %s", last)
	}
	// The unbalanced quote in row 3 must not swallow the rows after it.
	if rep["n"].(float64) != 5 {
		t.Errorf("n = %v, want 5", rep["n"])
	}
	req := rep["request"].(map[string]any)
	if req["tp"].(float64) != 2 || req["fn"].(float64) != 1 || req["fp"].(float64) != 0 {
		t.Errorf("request = %v", req)
	}
}

func TestRunErrors(t *testing.T) {
	cases := map[string][]string{
		"lacks a \"text\" and a \"label\" column": {"-data", "testdata/nocolumns.tsv"},
		"-data FILE.tsv is required":              {},
		"no such file":                            {"-data", "testdata/missing.tsv"},
		"flag provided but not defined":           {"-bogus"},
		"unknown kind":                            {"-data", "testdata/levels.tsv", "-lexicon", "testdata/bad_lexicon.yaml"},
	}
	for want, args := range cases {
		var out bytes.Buffer
		err := Run(args, &out)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Run(%q) = %v, want an error containing %q", args, err, want)
		}
	}
}

func TestRunExtraLexicon(t *testing.T) {
	var out bytes.Buffer
	if err := Run([]string{"-data", "testdata/binary.tsv", "-lexicon", "testdata/extra_lexicon.yaml", "-json"}, &out); err != nil {
		t.Fatal(err)
	}
	// The extra lexicon makes "lovely weather" a need, so row 5 is found.
	if !strings.Contains(out.String(), `"tp":3`) {
		t.Errorf("extra lexicon not applied:\n%s", out.String())
	}
}

func TestHeaderOnly(t *testing.T) {
	f, err := os.Open("testdata/headeronly.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := Evaluate(f, "headeronly.tsv", triage.Default())
	if err != nil {
		t.Fatal(err)
	}
	if rep.N != 0 || rep.Request.F1 != 0 {
		t.Errorf("report = %+v", rep)
	}
}

func TestEmptyFile(t *testing.T) {
	_, err := Evaluate(strings.NewReader(""), "empty.tsv", triage.Default())
	if err == nil || !strings.Contains(err.Error(), "empty.tsv: empty file") {
		t.Errorf("err = %v", err)
	}
}

func TestRunListsMisses(t *testing.T) {
	var out bytes.Buffer
	if err := Run([]string{"-data", "testdata/levels.tsv", "-errors"}, &out); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	// Row 6 is an offer labelled high on purpose: the engine must say
	// none, and read it as an offer.
	if !strings.Contains(text, "line 7\thigh → none\toffer\t我家有多余的胰岛素可以分享") {
		t.Errorf("misjudged offer not listed with its act:\n%s", text)
	}
	if !strings.Contains(text, "errors by act") {
		t.Errorf("no errors by act:\n%s", text)
	}
	if strings.Contains(text, "line 5\t") || strings.Contains(text, "已解决") {
		t.Errorf("a row judged right is listed:\n%s", text)
	}
}

// A split column filters rows with -split, and source and event columns
// break the summary down; calibration says how often each level was right.
func TestSplitEventsAndCalibration(t *testing.T) {
	tsv := "text\tlabel\tevent\tsplit\n" +
		"求助！我妈突然昏迷了，叫不醒\tcritical\tflood\ttest\n" +
		"My father is unconscious and not breathing, please help\tcritical\tquake\ttest\n" +
		"今天天气不错\tnone\tflood\ttest\n" +
		"Stay safe everyone, praying for you all\tnone\tquake\ttrain\n"
	path := t.TempDir() + "/s.tsv"
	if err := os.WriteFile(path, []byte(tsv), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Run([]string{"-data", path, "-split", "test", "-json"}, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var rep Report
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.N != 3 {
		t.Errorf("n = %d, want the 3 test rows", rep.N)
	}
	if g := rep.ByEvent["flood"]; g.N != 2 || g.Request.TP != 1 {
		t.Errorf("flood = %+v", g)
	}
	if g := rep.ByEvent["quake"]; g.N != 1 || g.Urgent == nil || g.Urgent.TP != 1 {
		t.Errorf("quake = %+v", g)
	}
	if c := rep.Calibration["critical"]; c.N != 2 || c.Exact != 1 {
		t.Errorf("calibration of critical = %+v", c)
	}
	if !strings.Contains(out.String(), "event") || !strings.Contains(out.String(), "at least") {
		t.Errorf("text report lacks the event or calibration table:\n%s", out.String())
	}
	if err := Run([]string{"-data", "testdata/levels.tsv", "-split", "test"}, &out); err == nil ||
		!strings.Contains(err.Error(), "no \"split\" column") {
		t.Errorf("-split on a file without a split column: err = %v", err)
	}
}
