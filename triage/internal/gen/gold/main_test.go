package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKappa(t *testing.T) {
	// 50 items: both yes 20, A yes B no 5, A no B yes 10, both no 15:
	// observed .70, chance .5×.6 + .5×.4 = .50, kappa .40.
	var a, b []string
	add := func(n int, x, y string) {
		for range n {
			a, b = append(a, x), append(b, y)
		}
	}
	add(20, "yes", "yes")
	add(5, "yes", "no")
	add(10, "no", "yes")
	add(15, "no", "no")
	cases := []struct {
		name string
		a, b []string
		want float64
	}{
		{"textbook", a, b, 0.4},
		{"perfect", []string{"x", "y", "x"}, []string{"x", "y", "x"}, 1},
		{"one label each, always agreeing", []string{"x", "x"}, []string{"x", "x"}, 1},
		{"opposite", []string{"x", "y"}, []string{"y", "x"}, -1},
		{"empty", nil, nil, 0},
	}
	for _, c := range cases {
		if got := Kappa(c.a, c.b); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("%s: kappa %v, want %v", c.name, got, c.want)
		}
	}
}

// A pool with one disagreement: agreement is reported, gold waits for
// the adjudication and is written once it covers the disagreement.
func TestGoldNeedsEveryDisagreementAdjudicated(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("zz-pool.tsv", "pid\tid\ttext\tsource\tevent\tsource_label\tsplit\n"+
		"zz1\t1\tmy dad fainted\ts\tev\trequest\ttrain\n"+
		"zz2\t2\tstay safe all\ts\tev\tnone\ttest\n"+
		"zz3\t3\tneed rice\ts\tev\trequest\ttrain\n")
	write("labels-A-zz.tsv", "zz1\tcritical\nzz2\tnone\nzz3\tnormal\n")
	write("labels-B-zz.tsv", "zz1\tcritical\nzz2\tnone\nzz3\thigh\n")
	var out strings.Builder
	if err := run(dir, []string{"zz"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1 disagreement(s) to adjudicate") {
		t.Errorf("output does not ask for adjudication:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "gold-zz.tsv")); err == nil {
		t.Error("gold written before adjudication")
	}
	write("adjudicated-zz.tsv", "zz3\tnormal\tgroceries, no danger stated\n")
	out.Reset()
	if err := run(dir, []string{"zz"}, &out); err != nil {
		t.Fatal(err)
	}
	gold, err := os.ReadFile(filepath.Join(dir, "gold-zz.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "pid\tlabel\nzz1\tcritical\nzz2\tnone\nzz3\tnormal\n"; string(gold) != want {
		t.Errorf("gold:\n%s\nwant:\n%s", gold, want)
	}
}

func TestUnfinishedLabelsAreRefused(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "zz-pool.tsv"), []byte("pid\ttext\tevent\tsplit\nzz1\ta\tev\ttrain\nzz2\tb\tev\ttrain\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "labels-A-zz.tsv"), []byte("zz1\tnone\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "labels-B-zz.tsv"), []byte("zz1\tnone\nzz2\tnone\n"), 0o644)
	err := run(dir, []string{"zz"}, &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), "unlabelled") {
		t.Errorf("err = %v, want unlabelled rows named", err)
	}
}
