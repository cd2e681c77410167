package triage

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.txt with the current output")

const (
	goldenFile = "testdata/golden.txt"
	goldenSep  = "----"
	goldenEnd  = "===="
)

// summary renders the parts of an assessment a reviewer checks by eye.
func summary(a Assessment) string {
	var b strings.Builder
	fmt.Fprintf(&b, "request=%v urgency=%s category=%s lang=%s scam=%v resolved=%v\n",
		a.IsRequest, a.Urgency, orDash(string(a.Category)), orDash(a.Language), a.Scam, a.Resolved)
	fmt.Fprintf(&b, "why: %s\n", a.Explain())
	list := func(name string, v []string) {
		if len(v) > 0 {
			fmt.Fprintf(&b, "%s: %s\n", name, strings.Join(v, " | "))
		}
	}
	list("phones", a.Phones)
	list("places", a.Places)
	list("vulnerable", a.Vulnerable)
	list("durations", a.Durations)
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// TestGolden checks hand-written messages against reviewed summaries in
// testdata/golden.txt: each case is the input line, "----", the expected
// summary, "====". Run with -update to rewrite it, then review the diff.
func TestGolden(t *testing.T) {
	data, err := os.ReadFile(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	var header []string
	var out strings.Builder
	blocks := strings.Split(string(data), goldenEnd+"\n")
	for i, block := range blocks {
		if strings.TrimSpace(block) == "" {
			continue
		}
		lines := strings.Split(block, "\n")
		// Leading comment lines belong to the file header.
		if i == 0 {
			for len(lines) > 0 && strings.HasPrefix(lines[0], "#") {
				header = append(header, lines[0])
				lines = lines[1:]
			}
		}
		sep := -1
		for j, l := range lines {
			if l == goldenSep {
				sep = j
				break
			}
		}
		if sep < 1 {
			t.Fatalf("%s: case %d has no input or no %q line", goldenFile, i+1, goldenSep)
		}
		input := strings.Join(lines[:sep], "\n")
		want := strings.Join(lines[sep+1:], "\n")
		got := summary(Assess(input))
		if !*update && got != want {
			t.Errorf("%s: %q\n--- got\n%s--- want\n%s", goldenFile, input, got, want)
		}
		fmt.Fprintf(&out, "%s\n%s\n%s%s\n", input, goldenSep, got, goldenEnd)
	}
	if *update {
		content := strings.Join(header, "\n") + "\n" + out.String()
		if err := os.WriteFile(goldenFile, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
