// Command pool builds the guide-labelling pool for training and measuring
// triage's decision layer: a deterministic, stratified sample of the
// shared labelled sets, written outside the repository's tracked files.
//
// The pool holds message texts from ../shared/data, whose terms forbid
// copying them into the repository, so it is written to a folder the
// repository ignores (.pool/ by default) and rebuilt from ../shared by
// running this program again:
//
//	go run ./triage/internal/gen/pool -shared ../shared/data -out .pool
//
// It writes, per language, the full pool (pid, id, text, source, event,
// source_label, split) and an annotation sheet with only pid and text, so
// annotators label by the guide without seeing any earlier label.
package main

import (
	"bufio"
	"encoding/csv"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

type row struct {
	id, text, label, source, event string
}

// testEvents are held out of training: the frozen test split is every
// pooled row of these events, so the figures measure events the model has
// never seen.
var testEvents = map[string]bool{
	"hurricane_dorian_2019":     true,
	"kaikoura_earthquake_2016":  true,
	"srilanka_floods_2017":      true,
	"hualien_guangfu_flood2025": true,
	"shanghai2022":              true,
}

func main() {
	shared := flag.String("shared", "../shared/data", "folder of the shared labelled sets")
	out := flag.String("out", ".pool", "output folder (ignored by git)")
	perEvent := flag.Int("per-event", 125, "English rows sampled per HumAID event")
	nepal := flag.Int("nepal", 500, "English rows sampled from the Nepal set")
	extraPerEvent := flag.Int("extra-per-event", 150, "English source-labelled requests per event in the second batch")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	humaid := must(readTSV(filepath.Join(*shared, "en-humaid.tsv")))
	nepalRows := must(readTSV(filepath.Join(*shared, "en-nepal-need-offer.tsv")))
	zhDev := must(readTSV(filepath.Join(*shared, "zh-dev.tsv")))
	var zhRaw []row
	for _, f := range []string{"zh-hant-guangfu-flood-2025-requests.tsv", "zh-shanghai-2022-misc.tsv"} {
		zhRaw = append(zhRaw, must(readTSV(filepath.Join(*shared, "raw", f)))...)
	}

	var en []row
	byEvent := map[string][]row{}
	for _, r := range humaid {
		r.event = humaidEvent(r.source)
		byEvent[r.event] = append(byEvent[r.event], r)
	}
	events := make([]string, 0, len(byEvent))
	for ev := range byEvent {
		events = append(events, ev)
	}
	slices.Sort(events)
	for _, ev := range events {
		en = append(en, stratified(byEvent[ev], *perEvent)...)
	}
	for i := range nepalRows {
		nepalRows[i].event = "nepal_earthquake_2015"
	}
	en = append(en, stratified(nepalRows, *nepal)...)

	var zh []row
	for _, r := range zhDev {
		r.event = "covid_wuhan_2020"
		zh = append(zh, r)
	}
	zh = append(zh, zhRaw...)

	// The second English batch: guide requests are rare among tweets (about
	// 4 % of the first batch), too few to learn from or to measure on, so
	// it takes the rows each source labelled as a request that the first
	// batch did not, up to extraPerEvent per event. It is read with a plain
	// TSV reader (see readTSV).
	taken := map[string]bool{}
	for _, r := range en {
		taken[r.id] = true
	}
	var en2 []row
	plainHumaid := must(readPlainTSV(filepath.Join(*shared, "en-humaid.tsv")))
	plainNepal := must(readPlainTSV(filepath.Join(*shared, "en-nepal-need-offer.tsv")))
	extra := map[string][]row{}
	for _, r := range plainHumaid {
		r.event = humaidEvent(r.source)
		extra[r.event] = append(extra[r.event], r)
	}
	for _, r := range plainNepal {
		r.event = "nepal_earthquake_2015"
		extra[r.event] = append(extra[r.event], r)
	}
	events = append(events, "nepal_earthquake_2015")
	for _, ev := range events {
		var req []row
		for _, r := range extra[ev] {
			if r.label != "none" && !taken[r.id] && !strings.Contains(r.text, "\t") {
				req = append(req, r)
			}
		}
		en2 = append(en2, stratified(req, min(len(req), *extraPerEvent)*3)...)
	}

	must(0, write(*out, "en", en))
	must(0, write(*out, "en2", en2))
	must(0, write(*out, "zh", zh))
	fmt.Printf("pool: %d+%d English rows, %d Chinese rows in %s\n", len(en), len(en2), len(zh), *out)
}

// stratified takes n rows: a third from rows the source labelled as a
// request (any label but none), the rest from the others, each in a fixed
// pseudo-random order, so requests are common enough to learn from while
// chatter still dominates as it does in real groups.
func stratified(rows []row, n int) []row {
	var req, none []row
	for _, r := range rows {
		if r.label == "none" {
			none = append(none, r)
		} else {
			req = append(req, r)
		}
	}
	order := func(rs []row) {
		slices.SortFunc(rs, func(a, b row) int {
			ha, hb := hash(a.id), hash(b.id)
			switch {
			case ha < hb:
				return -1
			case ha > hb:
				return 1
			}
			return strings.Compare(a.id, b.id)
		})
	}
	order(req)
	order(none)
	nReq := min(n/3, len(req))
	nNone := min(n-nReq, len(none))
	out := append(slices.Clone(req[:nReq]), none[:nNone]...)
	order(out)
	return out
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

func humaidEvent(source string) string {
	parts := strings.Split(source, "/")
	if len(parts) >= 2 {
		return parts[1]
	}
	return source
}

func write(dir, lang string, rows []row) error {
	full, err := os.Create(filepath.Join(dir, lang+"-pool.tsv"))
	if err != nil {
		return err
	}
	defer full.Close()
	sheet, err := os.Create(filepath.Join(dir, lang+"-annotate.tsv"))
	if err != nil {
		return err
	}
	defer sheet.Close()
	fw, sw := bufio.NewWriter(full), bufio.NewWriter(sheet)
	fmt.Fprintln(fw, "pid\tid\ttext\tsource\tevent\tsource_label\tsplit")
	fmt.Fprintln(sw, "pid\ttext")
	for i, r := range rows {
		pid := fmt.Sprintf("%s%04d", lang, i+1)
		split := "train"
		if testEvents[r.event] {
			split = "test"
		}
		if strings.ContainsAny(r.text, "\n") {
			// A run of rows the quote-aware reader merged into one (see
			// readTSV): not a message, so nobody trains or measures on it.
			split = "excluded"
		}
		text := clean(r.text)
		fmt.Fprintf(fw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", pid, r.id, text, clean(r.source), r.event, r.label, split)
		fmt.Fprintf(sw, "%s\t%s\n", pid, text)
	}
	if err := fw.Flush(); err != nil {
		return err
	}
	return sw.Flush()
}

func clean(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}

// readTSV reads a shared set: a header naming at least id and text, and
// label, source or event when present. It reads quotes the way
// encoding/csv's LazyQuotes does, which merges runs of rows in the Nepal
// set whose text starts with a quote; the first batch was drawn (and
// labelled) with it, so it stays to keep that batch and its pids
// reproducible, and the merged rows are marked excluded.
func readTSV(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = '\t'
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	var rows []row
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rows = append(rows, row{id: get(rec, "id"), text: get(rec, "text"), label: get(rec, "label"),
			source: get(rec, "source"), event: get(rec, "event")})
	}
	return rows, nil
}

// readPlainTSV reads a shared set as plain TSV: one row per line, no
// quoting.
func readPlainTSV(path string) ([]row, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	col := map[string]int{}
	for i, h := range strings.Split(lines[0], "\t") {
		col[h] = i
	}
	var rows []row
	for n, line := range lines[1:] {
		rec := strings.Split(strings.TrimRight(line, "\r"), "\t")
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		if len(rec) < len(col) {
			return nil, fmt.Errorf("%s:%d: %d fields, want %d", path, n+2, len(rec), len(col))
		}
		rows = append(rows, row{id: get("id"), text: get("text"), label: get("label"), source: get("source"), event: get("event")})
	}
	return rows, nil
}

func must[T any](v T, err error) T {
	if err != nil {
		log.Fatal(err)
	}
	return v
}
