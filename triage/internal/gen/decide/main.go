// Command decide trains triage's decision layer: three logistic models
// (is it a request, is it urgent, is it critical) over the features the
// engine computes from its lexicon's signal kinds (triage.FeatureNames),
// and writes their weights as generated Go (triage/decide_model.go).
//
// It reads the guide-labelled pool's train split (eval-<lang>-train.tsv,
// written by internal/gen/gold into the ignored .pool/ folder) and never
// its test split:
//
//	go run ./triage/internal/gen/decide -pool .pool -out triage/decide_model.go
//
// Before writing, it cross-validates by event (each event's rows are
// scored by a model trained on the other events) and prints the figures
// for logistic regression and for a small gradient-boosted tree ensemble,
// the alternative it was chosen over. Thresholds are set on those
// out-of-event scores, per language: the request threshold for the best
// request F1, the urgent one for the best urgent F1 with recall at least
// -urgent-recall, the critical one for the best critical F1.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"io"
	"log"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/lifeline-aid/lifeline/triage"
)

// example is one labelled message as the model sees it.
type example struct {
	x      []float64
	level  int // 0 none, 1 normal, 2 high, 3 critical
	lang   int // 0 zh, 1 other
	event  string
	weight float64
	// gate is the hand-set gate's level and cue the cues' level were it
	// a request (from the gate_* and cue_* features).
	gate, cue int
	// binary: a shared-set row labelled only request / none, by that
	// set's own definition; it trains the request head alone.
	binary bool
	// spec: a hand-written case from triage/testdata/cases.tsv, the
	// team's statement of what the guide means; it trains, it is never
	// scored (it is no evidence).
	spec bool
}

const nHeads = 3

var levelOf = map[string]int{"none": 0, "normal": 1, "high": 2, "critical": 3}

func main() {
	pool := flag.String("pool", ".pool", "pool folder with eval-<lang>-train.tsv")
	out := flag.String("out", "", "write the generated model here (triage/decide_model.go); empty: only report")
	l2 := flag.Float64("l2", 1, "L2 penalty of the logistic models")
	urgentRecall := flag.Float64("urgent-recall", 0.95, "least out-of-event urgent recall the urgent threshold keeps")
	shared := flag.String("shared", "", "folder of the shared sets (en-humaid.tsv, en-nepal-need-offer.tsv) to add as weak request/none rows; empty: none")
	sharedWeight := flag.Float64("shared-weight", 0.2, "weight of one shared-set row against one guide-labelled row")
	flag.Float64Var(&otherUrgentRecall, "other-urgent-recall", 0, "least out-of-event urgent recall of other languages than Chinese")
	flag.BoolVar(&sharedLevels, "shared-levels", false, "one urgent and one critical threshold for every language")
	compare := flag.Bool("compare", false, "also cross-validate the boosted-tree alternative (slow)")
	cases := flag.String("cases", "", "hand-written cases (triage/testdata/cases.tsv) to add as training rows; empty: none")
	casesWeight := flag.Float64("cases-weight", 1, "weight of one hand-written case")
	nepalFloor := flag.Float64("nepal-floor", 0, "least request F1 on the whole en-nepal-need-offer.tsv dev set the English request thresholds keep (0: no guard)")
	flag.Parse()
	eng := triage.Default()
	var data []example
	for _, lang := range []string{"zh", "en"} {
		ex, err := load(filepath.Join(*pool, "eval-"+lang+"-train.tsv"), eng)
		if err != nil {
			log.Fatal(err)
		}
		data = append(data, ex...)
	}
	balance(data)
	nGold := len(data)
	if *shared != "" {
		sh, err := loadShared(*shared, *pool, eng, *sharedWeight)
		if err != nil {
			log.Fatal(err)
		}
		data = append(data, sh...)
	}
	nShared := len(data) - nGold
	if *cases != "" {
		cs, err := loadCases(*cases, eng, *casesWeight)
		if err != nil {
			log.Fatal(err)
		}
		data = append(data, cs...)
	}
	fmt.Printf("%d guide-labelled training rows, %d shared-set rows, %d hand-written cases, %d features\n",
		nGold, nShared, len(data)-nGold-nShared, len(triage.FeatureNames()))

	lr := func(train []example, h int) scorer { return trainLogistic(train, h, *l2) }
	gb := func(train []example, h int) scorer { return trainBoosted(train, h) }
	oofLR := crossValidate(data, lr)
	var oofGB [][nHeads]float64
	if *compare {
		oofGB = crossValidate(data, gb)
	}
	fmt.Println("\ncross-validation by event (out-of-event scores, thresholds tuned on them):")
	gateOnly := thresh{{0, 1}, {0, 1}, {0, 1}}
	fmt.Printf("  the hand-set gate alone\n")
	report(os.Stdout, data, oofLR, [2]thresh{gateOnly, gateOnly})
	var final [nHeads]*logistic
	for h := range nHeads {
		final[h] = trainLogistic(data, h, *l2).(*logistic)
	}
	specP = map[int][nHeads]float64{}
	for i, e := range data {
		if e.spec {
			var p [nHeads]float64
			for h := range nHeads {
				p[h] = final[h].score(e.x)
			}
			specP[i] = p
		}
	}
	// The guard: English request thresholds that keep the Nepal dev set's
	// own request F1 (by its own definition) above a floor, scored with
	// the final model.
	var guard func(lang, h int, t thresh) bool
	if *nepalFloor > 0 {
		dev, err := loadDev(filepath.Join(*shared, "en-nepal-need-offer.tsv"), eng, final[0])
		if err != nil {
			log.Fatal(err)
		}
		guard = func(lang, h int, t thresh) bool {
			if lang != 1 || h != 0 {
				return true
			}
			var c counts
			for _, d := range dev {
				pred := d.p >= t[0][1] || d.gate >= 1 && d.p >= t[0][0]
				switch {
				case pred && d.req:
					c.tp++
				case pred:
					c.fp++
				case d.req:
					c.fn++
				}
			}
			_, _, f := c.prf()
			return f >= *nepalFloor
		}
	}
	var th [2]thresh
	for _, c := range []struct {
		name string
		oof  [][nHeads]float64
	}{{"logistic regression", oofLR}, {"boosted trees (40 × depth 3)", oofGB}} {
		if c.oof == nil {
			continue
		}
		g := guard
		if c.name != "logistic regression" {
			g = nil
		}
		t := thresholds(data, c.oof, *urgentRecall, g)
		if c.name == "logistic regression" {
			th = t
		}
		fmt.Printf("  %s\n", c.name)
		report(os.Stdout, data, c.oof, t)
	}
	fmt.Println("\ncalibration of the logistic request head (out-of-event):")
	calibration(os.Stdout, data, oofLR)

	var m model
	for h := range nHeads {
		m.bias[h], m.w[h] = final[h].b, final[h].w
	}
	m.th = th
	fmt.Println("\nheaviest weights (request head):")
	heaviest(os.Stdout, m.w[0], 12)
	if *out != "" {
		if err := write(*out, &m); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("\nwrote %s\n", *out)
	}
}

// load reads an eval file (pid, text, label, event, split) and computes
// each row's features. Rows of any split but train are refused: the test
// split is frozen.
func load(path string, eng *triage.Engine) ([]example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	var col map[string]int
	var out []example
	var buf []float32
	for n := 1; sc.Scan(); n++ {
		rec := strings.Split(sc.Text(), "\t")
		if col == nil {
			col = map[string]int{}
			for i, h := range rec {
				col[h] = i
			}
			for _, need := range []string{"text", "label", "event", "split"} {
				if _, ok := col[need]; !ok {
					return nil, fmt.Errorf("%s: no %q column", path, need)
				}
			}
			continue
		}
		if len(rec) != len(col) {
			return nil, fmt.Errorf("%s: line %d: %d fields, want %d", path, n, len(rec), len(col))
		}
		if s := rec[col["split"]]; s != "train" {
			return nil, fmt.Errorf("%s: line %d: split %q: only the train split may be read", path, n, s)
		}
		lv, ok := levelOf[rec[col["label"]]]
		if !ok {
			return nil, fmt.Errorf("%s: line %d: unknown label %q", path, n, rec[col["label"]])
		}
		var a triage.Assessment
		a, buf = eng.DecisionInputs(rec[col["text"]], buf[:0])
		x := make([]float64, len(buf))
		for i, v := range buf {
			x[i] = float64(v)
		}
		lang := 1
		if a.Language == "zh" {
			lang = 0
		}
		out = append(out, example{x: x, level: lv, lang: lang, event: rec[col["event"]], weight: 1, gate: gateOf(x), cue: cueOf(x)})
	}
	return out, sc.Err()
}

// balance weighs each event's rows so that every event counts alike
// (up to a factor of four): the Wuhan posts are one genre of one event
// and must not drown the others, nor a big event the small ones.
func balance(data []example) {
	n := map[string]int{}
	for _, e := range data {
		n[e.event]++
	}
	mean := float64(len(data)) / float64(len(n))
	for i := range data {
		w := mean / float64(n[data[i].event])
		data[i].weight = math.Max(0.5, math.Min(2, w))
	}
}

// scorer gives a head's probability for one row.
type scorer interface{ score(x []float64) float64 }

// uses reports whether row e trains head h: shared-set rows know only
// request or not.
func uses(e example, h int) bool { return h == 0 || !e.binary }

func label(e example, h int) float64 {
	if e.level >= h+1 {
		return 1
	}
	return 0
}

// folds assigns each row its cross-validation fold: its event. Every
// row is scored by models that never saw its event, which is what the
// frozen test split asks of the model. (Cutting the one big Chinese
// event into folds of its own was tried in round 1: it validated the
// Chinese request threshold within one genre, and the held-out Chinese
// events showed that does not carry over.)
func folds(data []example) []string {
	f := make([]string, len(data))
	for i, e := range data {
		f[i] = e.event
	}
	return f
}

// crossValidate scores every row with models trained on the other folds.
func crossValidate(data []example, train func([]example, int) scorer) [][nHeads]float64 {
	fold := folds(data)
	events := map[string]bool{}
	for _, f := range fold {
		events[f] = true
	}
	oof := make([][nHeads]float64, len(data))
	for ev := range events {
		var tr []example
		var idx []int
		for i, e := range data {
			if fold[i] == ev {
				idx = append(idx, i)
			} else {
				tr = append(tr, e)
			}
		}
		for h := range nHeads {
			s := train(tr, h)
			for _, i := range idx {
				if !data[i].binary && !data[i].spec {
					oof[i][h] = s.score(data[i].x)
				}
			}
		}
	}
	return oof
}

// logistic is one head's logistic regression.
type logistic struct {
	w []float64
	b float64
}

func (l *logistic) score(x []float64) float64 { return sigmoid(l.b + dot(l.w, x)) }

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// trainLogistic fits head h by Newton's method (iteratively reweighted
// least squares) with an L2 penalty on the weights (not the bias): a
// few dozen features, so the Hessian is small and each step exact.
func trainLogistic(data []example, h int, l2 float64) scorer {
	d := len(data[0].x) + 1 // the last coordinate is the bias
	beta := make([]float64, d)
	xb := func(e example, j int) float64 {
		if j == d-1 {
			return 1
		}
		return e.x[j]
	}
	for iter := 0; iter < 50; iter++ {
		grad := make([]float64, d)
		hess := make([][]float64, d)
		for j := range hess {
			hess[j] = make([]float64, d)
		}
		for _, e := range data {
			if !uses(e, h) {
				continue
			}
			z := beta[d-1] + dot(beta[:d-1], e.x)
			p := sigmoid(z)
			r := e.weight * (p - label(e, h))
			q := e.weight * math.Max(p*(1-p), 1e-6)
			for j := 0; j < d; j++ {
				xj := xb(e, j)
				if xj == 0 {
					continue
				}
				grad[j] += r * xj
				for k := 0; k <= j; k++ {
					hess[j][k] += q * xj * xb(e, k)
				}
			}
		}
		for j := 0; j < d; j++ {
			for k := 0; k < j; k++ {
				hess[k][j] = hess[j][k]
			}
			if j < d-1 {
				grad[j] += l2 * beta[j]
				hess[j][j] += l2
			} else {
				hess[j][j] += 1e-6
			}
		}
		step := solve(hess, grad)
		change := 0.0
		for j := range beta {
			beta[j] -= step[j]
			change = math.Max(change, math.Abs(step[j]))
		}
		if change < 1e-7 {
			break
		}
	}
	return &logistic{w: beta[:d-1], b: beta[d-1]}
}

// solve returns A⁻¹b for a symmetric positive definite A (Cholesky).
func solve(a [][]float64, b []float64) []float64 {
	n := len(b)
	l := make([][]float64, n)
	for i := range l {
		l[i] = make([]float64, n)
	}
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			s := a[i][j]
			for k := 0; k < j; k++ {
				s -= l[i][k] * l[j][k]
			}
			if i == j {
				l[i][i] = math.Sqrt(math.Max(s, 1e-12))
			} else {
				l[i][j] = s / l[j][j]
			}
		}
	}
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		s := b[i]
		for k := 0; k < i; k++ {
			s -= l[i][k] * y[k]
		}
		y[i] = s / l[i][i]
	}
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := y[i]
		for k := i + 1; k < n; k++ {
			s -= l[k][i] * x[k]
		}
		x[i] = s / l[i][i]
	}
	return x
}

// boosted is a small gradient-boosted ensemble of depth-3 regression
// trees on the log-odds: the tree alternative the logistic models are
// compared with.
type boosted struct {
	base  float64
	trees []*node
}

type node struct {
	feature     int
	split       float64
	left, right *node
	value       float64
	leaf        bool
}

func (b *boosted) score(x []float64) float64 {
	z := b.base
	for _, t := range b.trees {
		n := t
		for !n.leaf {
			if x[n.feature] <= n.split {
				n = n.left
			} else {
				n = n.right
			}
		}
		z += n.value
	}
	return sigmoid(z)
}

const (
	boostRounds = 40
	boostRate   = 0.2
	boostDepth  = 3
	boostMinW   = 5
)

func trainBoosted(data []example, h int) scorer {
	pos, tot := 0.0, 0.0
	var used []example
	for _, e := range data {
		if uses(e, h) {
			used = append(used, e)
			pos += e.weight * label(e, h)
			tot += e.weight
		}
	}
	data = used
	p0 := math.Min(math.Max(pos/tot, 1e-3), 1-1e-3)
	b := &boosted{base: math.Log(p0 / (1 - p0))}
	z := make([]float64, len(data))
	for i := range z {
		z[i] = b.base
	}
	idx := make([]int, len(data))
	for i := range idx {
		idx[i] = i
	}
	for range boostRounds {
		g := make([]float64, len(data))
		hs := make([]float64, len(data))
		for i, e := range data {
			p := sigmoid(z[i])
			g[i] = e.weight * (label(e, h) - p)
			hs[i] = e.weight * math.Max(p*(1-p), 1e-6)
		}
		t := grow(data, idx, g, hs, boostDepth)
		b.trees = append(b.trees, t)
		for i, e := range data {
			n := t
			for !n.leaf {
				if e.x[n.feature] <= n.split {
					n = n.left
				} else {
					n = n.right
				}
			}
			z[i] += n.value
		}
	}
	return b
}

// grow builds a regression tree on Newton steps (sum g / sum h per leaf).
func grow(data []example, idx []int, g, hs []float64, depth int) *node {
	sg, sh := 0.0, 0.0
	for _, i := range idx {
		sg += g[i]
		sh += hs[i]
	}
	leaf := &node{leaf: true, value: boostRate * sg / (sh + 1)}
	if depth == 0 || sh < 2*boostMinW*0.05 {
		return leaf
	}
	best, bestF, bestS := 0.0, -1, 0.0
	parent := sg * sg / (sh + 1)
	d := len(data[0].x)
	for f := 0; f < d; f++ {
		sorted := append([]int(nil), idx...)
		sort.Slice(sorted, func(a, b int) bool { return data[sorted[a]].x[f] < data[sorted[b]].x[f] })
		lg, lh := 0.0, 0.0
		for k := 0; k+1 < len(sorted); k++ {
			i := sorted[k]
			lg += g[i]
			lh += hs[i]
			v, next := data[i].x[f], data[sorted[k+1]].x[f]
			if v == next || lh < boostMinW*0.05 || sh-lh < boostMinW*0.05 {
				continue
			}
			gain := lg*lg/(lh+1) + (sg-lg)*(sg-lg)/(sh-lh+1) - parent
			if gain > best {
				best, bestF, bestS = gain, f, (v+next)/2
			}
		}
	}
	if bestF < 0 {
		return leaf
	}
	var li, ri []int
	for _, i := range idx {
		if data[i].x[bestF] <= bestS {
			li = append(li, i)
		} else {
			ri = append(ri, i)
		}
	}
	return &node{feature: bestF, split: bestS, left: grow(data, li, g, hs, depth-1), right: grow(data, ri, g, hs, depth-1)}
}

// thresh holds one language's thresholds: per head, [0] where the gate
// already says yes to that head's question, [1] where it says no. With
// [0] = 0 and [1] = 1 the gate decides alone; with both equal the model
// does; in between the model overrides the gate only when it is sure.
type thresh [nHeads][2]float64

// decide turns head scores into a level: the request head overrides the
// gate, the others the cues' level, each only past its thresholds.
func decide(p [nHeads]float64, gate, cue int, th thresh) int {
	lv := 0
	for h := range nHeads {
		rules := cue
		if h == 0 {
			rules = gate
		}
		t := th[h][1]
		if rules >= h+1 {
			t = th[h][0]
		}
		if p[h] < t {
			break
		}
		lv = h + 1
	}
	return lv
}

// gateOf reads the gate's level from a row's gate_* features.
func gateOf(x []float64) int {
	names := triage.FeatureNames()
	g := 0
	for i, n := range names {
		switch {
		case n == "gate_request" && x[i] > 0:
			g = max(g, 1)
		case n == "gate_high" && x[i] > 0:
			g = max(g, 2)
		case n == "gate_critical" && x[i] > 0:
			g = 3
		}
	}
	return g
}

// cueOf reads the cues' level from a row's cue_* features (at least
// normal: the level a request would have).
func cueOf(x []float64) int {
	c := 1
	for i, n := range triage.FeatureNames() {
		switch {
		case n == "cue_high" && x[i] > 0:
			c = max(c, 2)
		case n == "cue_critical" && x[i] > 0:
			c = 3
		}
	}
	return c
}

type counts struct{ tp, fp, fn int }

func (c counts) prf() (p, r, f float64) {
	if c.tp+c.fp > 0 {
		p = float64(c.tp) / float64(c.tp+c.fp)
	}
	if c.tp+c.fn > 0 {
		r = float64(c.tp) / float64(c.tp+c.fn)
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return
}

// at counts one question ("level ≥ k") over one language's rows.
func at(data []example, oof [][nHeads]float64, th thresh, lang, k int) counts {
	var c counts
	for i, e := range data {
		if e.lang != lang || e.binary || e.spec {
			continue
		}
		pred, gold := decide(oof[i], e.gate, e.cue, th) >= k, e.level >= k
		switch {
		case pred && gold:
			c.tp++
		case pred:
			c.fp++
		case gold:
			c.fn++
		}
	}
	return c
}

// thresholds tunes each head's threshold per language on out-of-event
// scores, head by head from the request head up.
// sharedLevels makes the urgent and critical heads share one threshold
// across languages (-shared-levels).
var sharedLevels bool

// ruleMargin is the out-of-event F1 the model must gain over the
// hand-set rules alone before its thresholds replace them: a few rows
// of noise must not overturn reviewed rules.
const ruleMargin = 0.02

// otherUrgentRecall is the least urgent recall the urgent threshold keeps
// on languages other than Chinese (-other-urgent-recall).
var otherUrgentRecall float64

// specErrors counts the hand-written cases of languages ls whose answer
// to head h's question (level ≥ h+1, given the level below holds) the
// thresholds t get wrong, scored by the final model (specP).
func specErrors(data []example, specP map[int][nHeads]float64, ls []int, h int, t [2]float64) int {
	n := 0
	for i, e := range data {
		p, ok := specP[i]
		if !ok || !slices.Contains(ls, e.lang) || e.level < h {
			continue
		}
		rules := e.cue
		if h == 0 {
			rules = e.gate
		}
		th := t[1]
		if rules >= h+1 {
			th = t[0]
		}
		if (p[h] >= th) != (e.level >= h+1) {
			n++
		}
	}
	return n
}

// specP holds the final model's scores of the hand-written cases (by row).
var specP map[int][nHeads]float64

func thresholds(data []example, oof [][nHeads]float64, urgentRecall float64, guard func(lang, h int, t thresh) bool) [2]thresh {
	var th [2]thresh
	for lang := range 2 {
		th[lang] = thresh{{0.5, 0.5}, {0.5, 0.5}, {0.5, 0.5}}
	}
	// The request head per language: what counts as a request differs by
	// genre less than how often one occurs. The urgent and critical heads
	// share their thresholds: the Chinese training rows are nearly all
	// urgent, so thresholds of their own would learn that prior; the
	// Chinese urgent recall must still reach urgentRecall.
	for h := range nHeads {
		langs := [][]int{{0}, {1}}
		if h > 0 && sharedLevels {
			langs = [][]int{{0, 1}}
		}
		for _, ls := range langs {
			bestF, best := -1.0, [2]float64{0.5, 0.5}
			for lo := 0.0; lo < 1.001; lo += 0.02 {
				for hi := lo; hi < 1.001; hi += 0.02 {
					ok := true
					var c counts
					for _, lang := range ls {
						cand := th[lang]
						cand[h] = [2]float64{lo, hi}
						if guard != nil && !guard(lang, h, cand) {
							ok = false
						}
						k := at(data, oof, cand, lang, h+1)
						c.tp, c.fp, c.fn = c.tp+k.tp, c.fp+k.fp, c.fn+k.fn
						if _, r, _ := k.prf(); h == 1 && lang == 0 && r < urgentRecall ||
							h == 1 && lang == 1 && r < otherUrgentRecall {
							ok = false
						}
					}
					if specErrors(data, specP, ls, h, [2]float64{lo, hi}) > specErrors(data, specP, ls, h, [2]float64{0, 1}) {
						ok = false // the hand-written cases are the spec: no new misjudged case
					}
					_, _, f := c.prf()
					if !ok {
						f = -1 + f/10 // outside the constraints: least bad only
					}
					if lo == 0 && hi > 0.999 {
						f += ruleMargin // the rules alone, unless the model is clearly better
					}
					if f > bestF+1e-9 {
						bestF, best = f, [2]float64{lo, hi}
					}
				}
			}
			for _, lang := range ls {
				th[lang][h] = best
			}
		}
	}
	return th
}

func report(w io.Writer, data []example, oof [][nHeads]float64, th [2]thresh) {
	for lang, name := range []string{"zh", "en"} {
		req := at(data, oof, th[lang], lang, 1)
		urg := at(data, oof, th[lang], lang, 2)
		crit := at(data, oof, th[lang], lang, 3)
		rp, rr, rf := req.prf()
		up, ur, uf := urg.prf()
		cp, cr, cf := crit.prf()
		fmt.Fprintf(w, "    %s  request P %.3f R %.3f F1 %.3f | urgent P %.3f R %.3f F1 %.3f | critical P %.3f R %.3f F1 %.3f  (thresholds %.2f)\n",
			name, rp, rr, rf, up, ur, uf, cp, cr, cf, th[lang])
	}
}

// calibration prints, per band of the request head's probability, how
// many rows fell there and how many were requests.
func calibration(w io.Writer, data []example, oof [][nHeads]float64) {
	var n, pos [10]int
	for i, e := range data {
		if e.binary || e.spec {
			continue
		}
		b := min(int(oof[i][0]*10), 9)
		n[b]++
		if e.level >= 1 {
			pos[b]++
		}
	}
	for b := range 10 {
		if n[b] > 0 {
			fmt.Fprintf(w, "  p %.1f–%.1f  %4d rows  %.2f requests\n", float64(b)/10, float64(b+1)/10, n[b], float64(pos[b])/float64(n[b]))
		}
	}
}

func heaviest(w io.Writer, wt []float64, k int) {
	names := triage.FeatureNames()
	idx := make([]int, len(wt))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return math.Abs(wt[idx[a]]) > math.Abs(wt[idx[b]]) })
	for _, i := range idx[:min(k, len(idx))] {
		fmt.Fprintf(w, "  %-18s %+.2f\n", names[i], wt[i])
	}
}

// model is what the generated file holds.
type model struct {
	bias [nHeads]float64
	w    [nHeads][]float64
	th   [2]thresh
}

func write(path string, m *model) error {
	names := triage.FeatureNames()
	var b bytes.Buffer
	b.WriteString("// Code generated by internal/gen/decide; DO NOT EDIT.\n\n")
	b.WriteString("package triage\n\n")
	b.WriteString("// trainedModel is the decision layer trained on the guide-labelled\n// pool's train split (see internal/gen/decide).\n")
	b.WriteString("var trainedModel = trainedWeights{\n\tTrained: true,\n\tFeatures: []string{")
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", n)
	}
	b.WriteString("},\n\tBias: [nHeads]float32{")
	for h := range nHeads {
		fmt.Fprintf(&b, "%.5g, ", m.bias[h])
	}
	b.WriteString("},\n\tWeights: [nHeads][]float32{\n")
	for h := range nHeads {
		b.WriteString("\t\t{")
		for i, v := range m.w[h] {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%.5g", v)
		}
		b.WriteString("},\n")
	}
	b.WriteString("\t},\n\tThreshold: [2][nHeads][2]float32{\n")
	for lang := range 2 {
		t := m.th[lang]
		fmt.Fprintf(&b, "\t\t{{%.2f, %.2f}, {%.2f, %.2f}, {%.2f, %.2f}},\n", t[0][0], t[0][1], t[1][0], t[1][1], t[2][0], t[2][1])
	}
	b.WriteString("\t},\n}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return fmt.Errorf("format generated model: %w", err)
	}
	return os.WriteFile(path, src, 0o644)
}

// heldOutEvents are the pool's frozen test events: their rows in the
// shared sets are never read for training either.
var heldOutEvents = []string{"hurricane_dorian_2019", "kaikoura_earthquake_2016", "srilanka_floods_2017"}

// loadShared reads the English shared sets as weak request/none rows:
// every row their sources call a request and a fixed, hash-chosen quarter
// of the others, skipping the held-out events and the rows already in
// the pool (those carry guide labels).
func loadShared(dir, pool string, eng *triage.Engine, weight float64) ([]example, error) {
	pooled := map[string]bool{}
	for _, f := range []string{"en-pool.tsv", "en2-pool.tsv"} {
		ids, err := column(filepath.Join(pool, f), "id")
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			pooled[id] = true
		}
	}
	var out []example
	var buf []float32
	for _, set := range []string{"en-humaid.tsv", "en-nepal-need-offer.tsv"} {
		path := filepath.Join(dir, set)
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
		var col map[string]int
		for sc.Scan() {
			rec := strings.Split(sc.Text(), "\t")
			if col == nil {
				col = map[string]int{}
				for i, h := range rec {
					col[h] = i
				}
				continue
			}
			if len(rec) < 4 || pooled[rec[col["id"]]] {
				continue
			}
			src := rec[col["source"]]
			held := false
			for _, ev := range heldOutEvents {
				held = held || strings.Contains(src, ev)
			}
			if held {
				continue
			}
			req := rec[col["label"]] == "request"
			if !req && fnv32(rec[col["id"]])%4 != 0 {
				continue
			}
			w := weight
			if !req {
				w *= 4 // stands for the three none rows left out
			}
			var a triage.Assessment
			a, buf = eng.DecisionInputs(rec[col["text"]], buf[:0])
			x := make([]float64, len(buf))
			for i, v := range buf {
				x[i] = float64(v)
			}
			lv, lang := 0, 1
			if req {
				lv = 1
			}
			if a.Language == "zh" {
				lang = 0
			}
			ev := "shared:" + set
			if parts := strings.Split(src, "/"); len(parts) >= 2 {
				ev = parts[1]
			} else if strings.Contains(set, "nepal") {
				ev = "nepal_earthquake_2015"
			}
			out = append(out, example{x: x, level: lv, lang: lang, event: ev, weight: w, binary: true, gate: gateOf(x), cue: cueOf(x)})
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return out, nil
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// column returns one column of a TSV file with a header.
func column(path, name string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	c := -1
	var out []string
	for sc.Scan() {
		rec := strings.Split(sc.Text(), "\t")
		if c < 0 {
			for i, h := range rec {
				if h == name {
					c = i
				}
			}
			if c < 0 {
				return nil, fmt.Errorf("%s: no %q column", path, name)
			}
			continue
		}
		if c < len(rec) {
			out = append(out, rec[c])
		}
	}
	return out, sc.Err()
}

// devRow is a dev-set row scored by the final request head.
type devRow struct {
	p    float64
	gate int
	req  bool
}

// loadDev scores a whole binary dev set (text, label request/none).
func loadDev(path string, eng *triage.Engine, head *logistic) ([]devRow, error) {
	texts, err := column(path, "text")
	if err != nil {
		return nil, err
	}
	labels, err := column(path, "label")
	if err != nil {
		return nil, err
	}
	var out []devRow
	var buf []float32
	x := make([]float64, len(triage.FeatureNames()))
	for i, t := range texts {
		if i >= len(labels) {
			break
		}
		_, buf = eng.DecisionInputs(t, buf[:0])
		for j, v := range buf {
			x[j] = float64(v)
		}
		out = append(out, devRow{p: head.score(x), gate: gateOf(x), req: labels[i] == "request"})
	}
	return out, nil
}

// loadCases reads the hand-written cases (text, urgency, category; "#"
// comments) as training rows of their own fold.
func loadCases(path string, eng *triage.Engine, weight float64) ([]example, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []example
	var buf []float32
	for n, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		lv, ok := levelOf[f[min(1, len(f)-1)]]
		if len(f) != 3 || !ok {
			return nil, fmt.Errorf("%s:%d: want text, urgency, category", path, n+1)
		}
		var a triage.Assessment
		a, buf = eng.DecisionInputs(f[0], buf[:0])
		x := make([]float64, len(buf))
		for i, v := range buf {
			x[i] = float64(v)
		}
		lang := 1
		if a.Language == "zh" {
			lang = 0
		}
		out = append(out, example{x: x, level: lv, lang: lang, event: "cases", weight: weight, spec: true, gate: gateOf(x), cue: cueOf(x)})
	}
	return out, nil
}
