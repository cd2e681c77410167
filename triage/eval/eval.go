// Package eval measures the triage engine against labelled TSV data; the
// `lifeline eval` subcommand calls Run.
//
// A data file has a header row naming at least the columns "text" and
// "label". Labels are urgency levels (critical, high, normal, none) or
// binary (request, none). Output: per-class precision / recall / F1, the
// confusion matrix, and two summary rows: "request" (label ≠ none vs
// prediction ≠ none) and "urgent" (label ∈ {critical, high} vs prediction
// ∈ {critical, high}). With -json the last line is one JSON object.
//
// Optional columns "source" and "event" add the same summary per source
// and per event, and a "split" column can be filtered with -split. Every
// report also says how often each predicted level was right
// (calibration) and which speech acts the misjudged rows were read as.
package eval

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/lifeline-aid/lifeline/triage"
)

// Metrics is precision, recall and F1 for one binary question.
type Metrics struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	FN        int     `json:"fn"`
}

func metrics(tp, fp, fn int) Metrics {
	m := Metrics{TP: tp, FP: fp, FN: fn, Support: tp + fn}
	if tp+fp > 0 {
		m.Precision = float64(tp) / float64(tp+fp)
	}
	if tp+fn > 0 {
		m.Recall = float64(tp) / float64(tp+fn)
	}
	if m.Precision+m.Recall > 0 {
		m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
	}
	m.Precision, m.Recall, m.F1 = round4(m.Precision), round4(m.Recall), round4(m.F1)
	return m
}

func round4(f float64) float64 { return float64(int64(f*10000+0.5)) / 10000 }

// Report is the result of one evaluation; it is also the -json object.
type Report struct {
	N       int                `json:"n"`
	Request Metrics            `json:"request"`
	Urgent  *Metrics           `json:"urgent,omitempty"`
	Classes map[string]Metrics `json:"classes,omitempty"`
	// Confusion[label][predicted] counts rows (urgency files only).
	Confusion     map[string]map[string]int `json:"confusion,omitempty"`
	UnknownLabels int                       `json:"unknown_labels"`
	Binary        bool                      `json:"binary"`
	// BySource and ByEvent break the summary down by those columns when
	// the file has them.
	BySource map[string]Group `json:"by_source,omitempty"`
	ByEvent  map[string]Group `json:"by_event,omitempty"`
	// Calibration says, per predicted level, how often it was right.
	Calibration map[string]Calibration `json:"calibration"`
	// ErrorsByAct counts the misjudged rows by the speech act the engine
	// read them as.
	ErrorsByAct map[string]ActErrors `json:"errors_by_act,omitempty"`
	// Misses are the rows the engine got wrong (by level in urgency files,
	// request or not in binary ones), for -errors.
	Misses []Miss `json:"-"`
}

// Miss is one misjudged row: where it is, what it should have been, what
// the engine said, the speech act it read, and why.
type Miss struct {
	Line             int
	Label, Predicted string
	Act              string
	Text, Why        string
}

// Group is the summary of the rows sharing a source or an event.
type Group struct {
	N       int      `json:"n"`
	Request Metrics  `json:"request"`
	Urgent  *Metrics `json:"urgent,omitempty"`
}

// Calibration is how often one predicted level was right: exactly, at
// that level or above (for "critical": the share of critical alerts that
// were at least urgent), and as a request at all.
type Calibration struct {
	N       int     `json:"n"`
	Exact   float64 `json:"exact"`
	AtLeast float64 `json:"at_least"`
	Request float64 `json:"request"`
}

// ActErrors counts the misjudged rows of one speech act: requests missed,
// false alarms, and requests given the wrong level.
type ActErrors struct {
	Missed     int `json:"missed"`
	FalseAlarm int `json:"false_alarm"`
	WrongLevel int `json:"wrong_level"`
}

var levels = []string{"critical", "high", "normal", "none"}

// Evaluate assesses every row of a TSV stream with the engine. source names
// the stream in error messages.
func Evaluate(r io.Reader, source string, eng *triage.Engine) (*Report, error) {
	return evaluate(r, source, eng, "")
}

// evaluate is Evaluate keeping only the rows whose split column is split
// (all rows when split is "").
func evaluate(r io.Reader, source string, eng *triage.Engine, split string) (*Report, error) {
	// Plain line splitting rather than encoding/csv: tweets and chat
	// messages open quotes they never close, and a CSV reader would glue
	// thousands of rows into one field.
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: read header: %w", source, err)
		}
		return nil, fmt.Errorf("%s: empty file, want a header with text and label columns", source)
	}
	header := strings.Split(strings.TrimRight(sc.Text(), "\r"), "\t")
	textCol, labelCol, sourceCol, eventCol, splitCol := -1, -1, -1, -1, -1
	for i, h := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))) {
		case "text":
			textCol = i
		case "label":
			labelCol = i
		case "source":
			sourceCol = i
		case "event":
			eventCol = i
		case "split":
			splitCol = i
		}
	}
	if textCol < 0 || labelCol < 0 {
		return nil, fmt.Errorf("%s: header %q lacks a %q and a %q column", source, strings.Join(header, "\t"), "text", "label")
	}
	if split != "" && splitCol < 0 {
		return nil, fmt.Errorf("%s: -split %s given but the header %q has no %q column", source, split, strings.Join(header, "\t"), "split")
	}
	field := func(rec []string, col int) string {
		if col < 0 || col >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[col])
	}
	var rows []row
	var misses []Miss
	binary := true
	unknown := 0
	line := 1
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if text == "" {
			continue
		}
		rec := strings.Split(text, "\t")
		if split != "" && field(rec, splitCol) != split {
			continue
		}
		if len(rec) <= textCol || len(rec) <= labelCol {
			unknown++ // a short row has no usable label
			continue
		}
		label := strings.ToLower(strings.TrimSpace(rec[labelCol]))
		switch label {
		case "critical", "high", "normal":
			binary = false
		case "request", "none":
		default:
			unknown++
			continue
		}
		msg := unquote(rec[textCol])
		a := eng.Assess(msg)
		rows = append(rows, row{label: label, pred: a.Urgency.String(), source: field(rec, sourceCol),
			event: field(rec, eventCol), act: string(a.Act)})
		if label != a.Urgency.String() { // a candidate; sorted out below
			misses = append(misses, Miss{Line: line, Label: label, Predicted: a.Urgency.String(), Act: string(a.Act), Text: msg, Why: a.Explain()})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: line %d: %w", source, line+1, err)
	}
	rep := &Report{N: len(rows), UnknownLabels: unknown, Binary: binary}
	isRequest := func(s string) bool { return s != "none" }
	rep.Request = binaryMetrics(rows, isRequest)
	for _, m := range misses {
		// In a file with levels, a request predicted at another level is a
		// miss too; in a binary one only request-or-not counts.
		if !binary || isRequest(m.Label) != isRequest(m.Predicted) {
			rep.Misses = append(rep.Misses, m)
		}
	}
	rep.ErrorsByAct = map[string]ActErrors{}
	for _, m := range rep.Misses {
		e := rep.ErrorsByAct[m.Act]
		switch {
		case !isRequest(m.Predicted):
			e.Missed++
		case !isRequest(m.Label):
			e.FalseAlarm++
		default:
			e.WrongLevel++
		}
		rep.ErrorsByAct[m.Act] = e
	}
	rep.Calibration = calibration(rows, binary)
	rep.BySource = groups(rows, binary, func(r row) string { return r.source })
	rep.ByEvent = groups(rows, binary, func(r row) string { return r.event })
	if binary {
		return rep, nil
	}
	urgent := func(s string) bool { return s == "critical" || s == "high" }
	rep.Confusion = map[string]map[string]int{}
	for _, lv := range levels {
		rep.Confusion[lv] = map[string]int{}
	}
	for _, r := range rows {
		rep.Confusion[r.label][r.pred]++
	}
	u := binaryMetrics(rows, urgent)
	rep.Urgent = &u
	rep.Classes = map[string]Metrics{}
	for _, c := range levels {
		rep.Classes[c] = binaryMetrics(rows, func(s string) bool { return s == c })
	}
	return rep, nil
}

// unquote undoes CSV-style quoting of a whole field ("a ""b"" c"), which
// some TSV writers apply; anything else is returned as is.
func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		inner := s[1 : len(s)-1]
		if !strings.Contains(strings.ReplaceAll(inner, `""`, ""), `"`) {
			return strings.ReplaceAll(inner, `""`, `"`)
		}
	}
	return s
}

// Run is the `lifeline eval` subcommand: it parses flags from args, runs
// the evaluation and writes the report to stdout.
func Run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stdout)
	data := fs.String("data", "", "labelled TSV file with text and label columns")
	asJSON := fs.Bool("json", false, "end the output with one JSON line")
	lexicon := fs.String("lexicon", "", "extra lexicon file (YAML) overlaid on the embedded one")
	listMisses := fs.Bool("errors", false, "list the rows the engine got wrong, with its reasons")
	split := fs.String("split", "", "keep only the rows whose split column has this value (train, test)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	if *data == "" {
		return errors.New("eval: -data FILE.tsv is required")
	}
	var extra []*triage.Lexicon
	if *lexicon != "" {
		lx, err := triage.LoadLexiconFile(*lexicon)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		extra = append(extra, lx)
	}
	eng, err := triage.NewEngine(extra...)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	f, err := os.Open(*data)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	defer f.Close()
	rep, err := evaluate(f, *data, eng, *split)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	if err := rep.WriteText(stdout, *data); err != nil {
		return err
	}
	if *listMisses {
		if err := rep.WriteMisses(stdout); err != nil {
			return err
		}
	}
	if *asJSON {
		b, err := json.Marshal(rep)
		if err != nil {
			return fmt.Errorf("eval: encode json: %w", err)
		}
		if _, err := fmt.Fprintf(stdout, "%s\n", b); err != nil {
			return fmt.Errorf("eval: write: %w", err)
		}
	}
	return nil
}

// WriteText prints the human-readable report.
func (rep *Report) WriteText(w io.Writer, source string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s: %d rows", source, rep.N)
	if rep.UnknownLabels > 0 {
		fmt.Fprintf(tw, ", %d row(s) with unknown labels skipped", rep.UnknownLabels)
	}
	fmt.Fprintf(tw, "\n\n\tprecision\trecall\tf1\tsupport\t\n")
	row := func(name string, m Metrics) {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%d\t\n", name, m.Precision, m.Recall, m.F1, m.Support)
	}
	if !rep.Binary {
		for _, c := range levels {
			row(c, rep.Classes[c])
		}
	}
	row("request", rep.Request)
	if rep.Urgent != nil {
		row("urgent", *rep.Urgent)
	}
	if rep.Confusion != nil {
		fmt.Fprintf(tw, "\nlabel \\ predicted\t")
		for _, p := range levels {
			fmt.Fprintf(tw, "%s\t", p)
		}
		fmt.Fprintln(tw)
		for _, l := range levels {
			fmt.Fprintf(tw, "%s\t", l)
			for _, p := range levels {
				fmt.Fprintf(tw, "%d\t", rep.Confusion[l][p])
			}
			fmt.Fprintln(tw)
		}
	}
	for _, g := range []struct {
		name string
		by   map[string]Group
	}{{"source", rep.BySource}, {"event", rep.ByEvent}} {
		if len(g.by) < 2 {
			continue // one group is the summary above
		}
		fmt.Fprintf(tw, "\n%s\trows\trequest P\tR\tF1\t", g.name)
		if !rep.Binary {
			fmt.Fprintf(tw, "urgent P\tR\tF1\t")
		}
		fmt.Fprintln(tw)
		for _, k := range sortedKeys(g.by) {
			m := g.by[k]
			fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t", k, m.N, m.Request.Precision, m.Request.Recall, m.Request.F1)
			if m.Urgent != nil {
				fmt.Fprintf(tw, "%.3f\t%.3f\t%.3f\t", m.Urgent.Precision, m.Urgent.Recall, m.Urgent.F1)
			}
			fmt.Fprintln(tw)
		}
	}
	if len(rep.Calibration) > 0 {
		fmt.Fprintf(tw, "\npredicted\trows\tright\tat least\ta request\t\n")
		for _, p := range append(levels[:len(levels):len(levels)], "request") {
			if c, ok := rep.Calibration[p]; ok {
				fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t\n", p, c.N, c.Exact, c.AtLeast, c.Request)
			}
		}
	}
	if len(rep.ErrorsByAct) > 0 {
		fmt.Fprintf(tw, "\nerrors by act\tmissed\tfalse alarm\twrong level\t\n")
		for _, act := range triage.Acts {
			if e, ok := rep.ErrorsByAct[string(act)]; ok {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", act, e.Missed, e.FalseAlarm, e.WrongLevel)
			}
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("eval: write: %w", err)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// row is one labelled message and the engine's verdict.
type row struct{ label, pred, source, event, act string }

// rank orders labels for "at least": none < normal/request < high < critical.
func rank(l string) int {
	switch l {
	case "critical":
		return 3
	case "high":
		return 2
	case "normal", "request":
		return 1
	}
	return 0
}

// calibration says how often each predicted level was right. In a binary
// file only "request" (any level predicted) can be checked.
func calibration(rows []row, binary bool) map[string]Calibration {
	type acc struct{ n, exact, atLeast, request int }
	by := map[string]*acc{}
	for _, r := range rows {
		p := r.pred
		if binary && p != "none" {
			p = "request"
		}
		a := by[p]
		if a == nil {
			a = &acc{}
			by[p] = a
		}
		a.n++
		if r.label == p {
			a.exact++
		}
		if rank(r.label) >= rank(p) {
			a.atLeast++
		}
		if r.label != "none" {
			a.request++
		}
	}
	out := map[string]Calibration{}
	for p, a := range by {
		out[p] = Calibration{N: a.n, Exact: round4(float64(a.exact) / float64(a.n)),
			AtLeast: round4(float64(a.atLeast) / float64(a.n)), Request: round4(float64(a.request) / float64(a.n))}
	}
	return out
}

// groups summarises the rows per key (source or event); nil when no row
// has a key.
func groups(rows []row, binary bool, key func(row) string) map[string]Group {
	by := map[string][]row{}
	for _, r := range rows {
		if k := key(r); k != "" {
			by[k] = append(by[k], r)
		}
	}
	if len(by) == 0 {
		return nil
	}
	out := map[string]Group{}
	for k, rs := range by {
		g := Group{N: len(rs), Request: binaryMetrics(rs, func(s string) bool { return s != "none" })}
		if !binary {
			u := binaryMetrics(rs, func(s string) bool { return s == "critical" || s == "high" })
			g.Urgent = &u
		}
		out[k] = g
	}
	return out
}

// binaryMetrics scores rows as one yes/no question: is the label in the
// class, and is the prediction.
func binaryMetrics(rows []row, in func(string) bool) Metrics {
	var tp, fp, fn int
	for _, r := range rows {
		l, p := in(r.label), in(r.pred)
		switch {
		case l && p:
			tp++
		case p:
			fp++
		case l:
			fn++
		}
	}
	return metrics(tp, fp, fn)
}

// maxMissRunes clips a listed text; the line number finds the rest.
const maxMissRunes = 160

// WriteMisses lists the misjudged rows: "line N  label → predicted  act
// text (why)", so a team tuning its own lexicon sees what to fix and which
// speech act misled it.
func (rep *Report) WriteMisses(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "\n%d row(s) misjudged (label → predicted):\n", len(rep.Misses)); err != nil {
		return fmt.Errorf("eval: write: %w", err)
	}
	for _, m := range rep.Misses {
		text := []rune(strings.Join(strings.Fields(m.Text), " "))
		if len(text) > maxMissRunes {
			text = append(text[:maxMissRunes], '…')
		}
		if _, err := fmt.Fprintf(w, "line %d\t%s → %s\t%s\t%s\t(%s)\n", m.Line, m.Label, m.Predicted, m.Act, string(text), m.Why); err != nil {
			return fmt.Errorf("eval: write: %w", err)
		}
	}
	return nil
}
