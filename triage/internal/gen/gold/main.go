// Command gold measures how far the two annotators of the guide-labelling
// pool agree (Cohen's kappa) and writes the adjudicated gold labels.
//
// It reads, per batch (en, en2, zh), the pool (<batch>-pool.tsv) and both
// annotators' labels (labels-A-<batch>.tsv, labels-B-<batch>.tsv: pid TAB
// label) from the pool folder, which the repository ignores (the texts
// are the shared data's and stay out of it):
//
//	go run ./triage/internal/gen/gold -pool .pool
//
// prints kappa per language and batch, four-class and request/none, and
// writes disagreements-<batch>.tsv (pid, split, A, B, text) for
// adjudication by the guide. An adjudicator writes adjudicated-<batch>.tsv
// (pid TAB label, an optional third column for a note); once every
// disagreement has a label, gold-<batch>.tsv (pid TAB label) holds the
// agreed labels and the adjudicated ones.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

var levels = []string{"critical", "high", "normal", "none"}

func main() {
	dir := flag.String("pool", ".pool", "the pool folder")
	batches := flag.String("batches", "en,en2,zh", "comma-separated batches to read")
	flag.Parse()
	if err := run(*dir, strings.Split(*batches, ","), os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// poolRow is one pooled message: its id, split and text.
type poolRow struct {
	pid, split, event, text string
}

// batch is one batch's rows and both annotators' labels.
type batch struct {
	name string
	rows []poolRow
	a, b map[string]string
}

func run(dir string, names []string, w io.Writer) error {
	byLang := map[string][]*batch{}
	var langs []string
	for _, name := range names {
		bt, err := load(dir, name)
		if err != nil {
			return err
		}
		lang := strings.TrimRight(name, "0123456789")
		if _, ok := byLang[lang]; !ok {
			langs = append(langs, lang)
		}
		byLang[lang] = append(byLang[lang], bt)
		k4, k2, n := agreement([]*batch{bt}, "")
		fmt.Fprintf(w, "%-4s %5d rows  kappa 4-class %.3f  request/none %.3f\n", name, n, k4, k2)
	}
	for _, lang := range langs {
		for _, split := range []string{"", "train", "test"} {
			k4, k2, n := agreement(byLang[lang], split)
			label := lang
			if split != "" {
				label += " " + split
			}
			fmt.Fprintf(w, "%-9s %5d rows  kappa 4-class %.3f  request/none %.3f\n", label, n, k4, k2)
		}
	}
	for _, lang := range langs {
		gold := map[string]string{}
		for _, bt := range byLang[lang] {
			g, err := bt.adjudicate(dir, w)
			if err != nil {
				return err
			}
			if g == nil {
				gold = nil
			}
			for pid, l := range g {
				if gold != nil {
					gold[pid] = l
				}
			}
		}
		if gold != nil {
			if err := writeEval(dir, lang, byLang[lang], gold, w); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeEval writes eval-<lang>-<split>.tsv per split: the pooled texts
// with their gold labels in the form `lifeline eval` reads (text, label,
// and event and split for its breakdowns).
func writeEval(dir, lang string, bs []*batch, gold map[string]string, w io.Writer) error {
	out := map[string]*strings.Builder{}
	var splits []string
	for _, bt := range bs {
		for _, r := range bt.rows {
			l, ok := gold[r.pid]
			if !ok {
				continue
			}
			sb := out[r.split]
			if sb == nil {
				sb = &strings.Builder{}
				sb.WriteString("pid\ttext\tlabel\tevent\tsplit\n")
				out[r.split] = sb
				splits = append(splits, r.split)
			}
			fmt.Fprintf(sb, "%s\t%s\t%s\t%s\t%s\n", r.pid, r.text, l, r.event, r.split)
		}
	}
	sort.Strings(splits)
	for _, split := range splits {
		name := "eval-" + lang + "-" + split + ".tsv"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(out[split].String()), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s written\n", name)
	}
	return nil
}

// load reads a batch's pool and labels and checks that every pooled row
// (but the excluded ones) has exactly one label from each annotator.
func load(dir, name string) (*batch, error) {
	rows, err := readPool(filepath.Join(dir, name+"-pool.tsv"))
	if err != nil {
		return nil, err
	}
	bt := &batch{name: name, rows: rows}
	for _, who := range []string{"A", "B"} {
		path := filepath.Join(dir, "labels-"+who+"-"+name+".tsv")
		m, err := readLabels(path)
		if err != nil {
			return nil, err
		}
		var missing []string
		for _, r := range rows {
			if _, ok := m[r.pid]; !ok && r.split != "excluded" {
				missing = append(missing, r.pid)
			}
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("%s: %d pooled row(s) unlabelled (first %s): is the annotator done?", path, len(missing), missing[0])
		}
		if who == "A" {
			bt.a = m
		} else {
			bt.b = m
		}
	}
	return bt, nil
}

func readPool(path string) ([]poolRow, error) {
	recs, head, err := readTSV(path)
	if err != nil {
		return nil, err
	}
	col := func(name string) (int, error) {
		for i, h := range head {
			if h == name {
				return i, nil
			}
		}
		return 0, fmt.Errorf("%s: no %q column in the header", path, name)
	}
	var ci [4]int
	for i, name := range []string{"pid", "split", "event", "text"} {
		if ci[i], err = col(name); err != nil {
			return nil, err
		}
	}
	rows := make([]poolRow, 0, len(recs))
	for n, rec := range recs {
		if len(rec) != len(head) {
			return nil, fmt.Errorf("%s: line %d: %d fields, want %d", path, n+2, len(rec), len(head))
		}
		rows = append(rows, poolRow{pid: rec[ci[0]], split: rec[ci[1]], event: rec[ci[2]], text: rec[ci[3]]})
	}
	return rows, nil
}

// readLabels reads "pid TAB label" lines; a header line (pid label) and
// blank lines are skipped, an unknown label is an error naming its line.
func readLabels(path string) (map[string]string, error) {
	recs, head, err := readTSV(path)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	if len(head) >= 2 && head[0] != "pid" {
		recs = append([][]string{head}, recs...)
	}
	for n, rec := range recs {
		if len(rec) < 2 {
			return nil, fmt.Errorf("%s: line %d: want pid and label", path, n+1)
		}
		l := strings.ToLower(strings.TrimSpace(rec[1]))
		if !known(l) {
			return nil, fmt.Errorf("%s: line %d: unknown label %q (want critical, high, normal or none)", path, n+1, rec[1])
		}
		m[strings.TrimSpace(rec[0])] = l
	}
	return m, nil
}

func known(l string) bool {
	for _, x := range levels {
		if l == x {
			return true
		}
	}
	return false
}

// readTSV splits lines on tabs (no quoting: the pool's texts have none
// of their own tabs) and returns the first line apart.
func readTSV(path string) (recs [][]string, head []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			continue
		}
		rec := strings.Split(line, "\t")
		if head == nil {
			head = rec
			continue
		}
		recs = append(recs, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return recs, head, nil
}

// agreement returns Cohen's kappa over the batches' rows of one split
// ("" for all): four-class, request/none, and the number of rows.
func agreement(bs []*batch, split string) (k4, k2 float64, n int) {
	var a4, b4, a2, b2 []string
	for _, bt := range bs {
		for _, r := range bt.rows {
			if r.split == "excluded" || split != "" && r.split != split {
				continue
			}
			la, lb := bt.a[r.pid], bt.b[r.pid]
			a4, b4 = append(a4, la), append(b4, lb)
			a2, b2 = append(a2, binary(la)), append(b2, binary(lb))
		}
	}
	return Kappa(a4, b4), Kappa(a2, b2), len(a4)
}

func binary(l string) string {
	if l == "none" {
		return "none"
	}
	return "request"
}

// Kappa is Cohen's kappa of two raters' labels of the same items:
// (observed agreement - chance agreement) / (1 - chance agreement), with
// chance from each rater's own label frequencies. Perfect agreement on a
// single label (no chance to disagree) is 1.
func Kappa(a, b []string) float64 {
	if len(a) == 0 || len(a) != len(b) {
		return 0
	}
	n := float64(len(a))
	ca, cb := map[string]float64{}, map[string]float64{}
	agree := 0.0
	for i := range a {
		ca[a[i]]++
		cb[b[i]]++
		if a[i] == b[i] {
			agree++
		}
	}
	po := agree / n
	pe := 0.0
	for l, x := range ca {
		pe += x / n * cb[l] / n
	}
	if pe == 1 {
		return 1
	}
	return (po - pe) / (1 - pe)
}

// adjudicate writes the batch's disagreements and, when an adjudication
// file covers them all, its gold labels, which it returns (nil before).
func (bt *batch) adjudicate(dir string, w io.Writer) (map[string]string, error) {
	var dis []poolRow
	for _, r := range bt.rows {
		if r.split != "excluded" && bt.a[r.pid] != bt.b[r.pid] {
			dis = append(dis, r)
		}
	}
	var sb strings.Builder
	sb.WriteString("pid\tsplit\tA\tB\ttext\n")
	for _, r := range dis {
		fmt.Fprintf(&sb, "%s\t%s\t%s\t%s\t%s\n", r.pid, r.split, bt.a[r.pid], bt.b[r.pid], r.text)
	}
	if err := os.WriteFile(filepath.Join(dir, "disagreements-"+bt.name+".tsv"), []byte(sb.String()), 0o644); err != nil {
		return nil, err
	}
	adjPath := filepath.Join(dir, "adjudicated-"+bt.name+".tsv")
	adj, err := readLabels(adjPath)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(w, "%s: %d disagreement(s) to adjudicate in disagreements-%s.tsv; no %s yet\n", bt.name, len(dis), bt.name, filepath.Base(adjPath))
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var open []string
	for _, r := range dis {
		if _, ok := adj[r.pid]; !ok {
			open = append(open, r.pid)
		}
	}
	if len(open) > 0 {
		sort.Strings(open)
		return nil, fmt.Errorf("%s: %d disagreement(s) not adjudicated yet (first %s)", adjPath, len(open), open[0])
	}
	sb.Reset()
	sb.WriteString("pid\tlabel\n")
	counts := map[string]int{}
	gold := map[string]string{}
	for _, r := range bt.rows {
		if r.split == "excluded" {
			continue
		}
		l := bt.a[r.pid]
		if l != bt.b[r.pid] {
			l = adj[r.pid]
		}
		counts[l]++
		gold[r.pid] = l
		fmt.Fprintf(&sb, "%s\t%s\n", r.pid, l)
	}
	if err := os.WriteFile(filepath.Join(dir, "gold-"+bt.name+".tsv"), []byte(sb.String()), 0o644); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "%s: gold written (%d adjudicated): critical %d, high %d, normal %d, none %d\n",
		bt.name, len(dis), counts["critical"], counts["high"], counts["normal"], counts["none"])
	return gold, nil
}
