package triage

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestEmbeddedLexiconLoads(t *testing.T) {
	if _, err := ParseLexicon(embeddedLexicon); err != nil {
		t.Fatal(err)
	}
	if _, err := NewEngine(); err != nil {
		t.Fatal(err)
	}
}

// Each malformed lexicon in testdata/lexicon must fail with an error that
// names the file, the place and the problem.
func TestMalformedLexicons(t *testing.T) {
	want := map[string][]string{
		"bad_yaml.yaml":              {"line"},
		"unknown_kind.yaml":          {"line 3", `"fish"`, `unknown kind "feelings"`},
		"unknown_field.yaml":         {"line 6", `unknown field "paterns"`},
		"missing_id.yaml":            {"line 3", "no id"},
		"duplicate_id.yaml":          {"line 8", "duplicate id"},
		"bad_urgency.yaml":           {"line 6", "unknown urgency"},
		"bad_category.yaml":          {"line 3", `unknown category "seafood"`},
		"empty_pattern.yaml":         {"line 3", "empty after normalisation"},
		"bad_weight.yaml":            {"line 3", "weight -2"},
		"rule_no_condition.yaml":     {"line 3", "needs all or any"},
		"bad_version.yaml":           {"version 7"},
		"empty.yaml":                 {"empty lexicon"},
		"not_a_list.yaml":            {"line 3"},
		"unknown_rule_signal.yaml":   {"line 3", `unknown signal "no_such_signal"`},
		"need_without_category.yaml": {"line 3", "needs a category"},
		"unknown_group.yaml":         {"line 3", `unknown pseudo signal or group "@teenager"`},
		"bad_min.yaml":               {"line 3", "min 2 out of range"},
		"bad_gap.yaml":               {"line 3", `"woken"`, "pattern 2", "more than one …"},
	}
	files, err := filepath.Glob("testdata/lexicon/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(want) {
		t.Errorf("%d files in testdata/lexicon, %d expectations", len(files), len(want))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			lx, err := LoadLexiconFile(path)
			if err == nil {
				// Cross-references are checked when merging.
				_, err = NewEngine(lx)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error does not name the file: %v", err)
			}
			for _, w := range want[name] {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadLexiconFileMissing(t *testing.T) {
	_, err := LoadLexiconFile("testdata/no-such-file.yaml")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want a wrapped fs.ErrNotExist", err)
	}
}

func TestExtraLexiconExtendsAndOverrides(t *testing.T) {
	lx, err := LoadLexiconFile("testdata/extra_lexicon.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(lx)
	if err != nil {
		t.Fatal(err)
	}
	// A third language is data only.
	if a := e.Assess("Aidez-nous : mon père a besoin de dialyse"); a.Category != CatDialysis || a.Urgency < High {
		t.Errorf("french: %s / %s", a.Category, a.Explain())
	}
	// The embedded languages still work on the merged cue.
	if a := e.Assess("求助，透析停了三天"); a.Urgency != Critical {
		t.Errorf("merged cue lost zh: %s", a.Explain())
	}
	// New signal and rule.
	if a := e.Assess("Help! My dad is on oxygen and has difficulty breathing, we need generator fuel"); a.Urgency != Critical {
		t.Errorf("new rule: %s", a.Explain())
	}
	if a := e.Assess("We urgently need generator fuel"); a.Urgency != High || a.Category != CatFoodSupplies {
		t.Errorf("new signal: %s %s", a.Urgency, a.Category)
	}
	// Disabled signal.
	if a := e.Assess("求助，需要猫粮，猫咪饿了"); a.Category == CatPet {
		t.Errorf("disabled pet signal still fires: %s", a.Explain())
	}
	// Rules naming a disabled signal compile and never fire on it.
	if a := e.Assess("求助，我奶奶高烧三天了"); a.Urgency == High && strings.Contains(a.Explain(), "高烧") {
		t.Errorf("disabled high_fever still used: %s", a.Explain())
	}
	// The default engine is untouched.
	if a := Assess("求助，需要猫粮"); a.Category != CatPet {
		t.Errorf("default engine changed: %s", a.Explain())
	}
}

func FuzzParseLexicon(f *testing.F) {
	f.Add(embeddedLexicon[:2000])
	files, _ := filepath.Glob("testdata/lexicon/*.yaml")
	files = append(files, "testdata/extra_lexicon.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lx, err := ParseLexicon(data)
		if err != nil {
			return
		}
		e, err := NewEngine(lx)
		if err != nil {
			return
		}
		_ = e.Assess("求助 help 透析 dialysis")
	})
}

// Every kind must compile to its own kindID, or the hot path would
// confuse two kinds (or miss one).
func TestKindIDs(t *testing.T) {
	seen := map[kindID]Kind{}
	for k, id := range kindIDs {
		if id == kUnknown {
			t.Errorf("kind %q has no kindID", k)
		}
		if o, dup := seen[id]; dup {
			t.Errorf("kinds %q and %q share kindID %d", k, o, id)
		}
		seen[id] = k
	}
}

// More rules than one 64-bit word of the rule index must change nothing:
// seventy extra rules that can never fire (each needs and forbids the
// same signal) leave every assessment as it was.
func TestRuleIndexManyRules(t *testing.T) {
	var y strings.Builder
	y.WriteString("rules:\n")
	for i, s := range []string{"trapped", "bleed_minor", "@phone", "@place", "@ask", "@elderly"} {
		for j := 0; j < 12; j++ {
			fmt.Fprintf(&y, "  - id: never_%d_%d\n    all: [\"%s\"]\n    none: [\"%s\"]\n    urgency: critical\n    weight: 5\n    category: rescue\n", i, j, s, s)
		}
	}
	lx, err := ParseLexicon([]byte(y.String()))
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(lx)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.rules) <= 64 {
		t.Fatalf("only %d rules: the test needs more than 64", len(e.rules))
	}
	// The index gives exactly the rules a scan of all of them would try.
	rng := rand.New(rand.NewSource(1))
	for n := 0; n < 2000; n++ {
		sc := &scratch{present: make([]bool, len(e.sigs))}
		for k := rng.Intn(12); k > 0; k-- {
			s := int32(rng.Intn(len(e.sigs)))
			if !sc.present[s] {
				sc.present[s] = true
				sc.touched = append(sc.touched, s)
			}
		}
		hadNeed := n%2 == 0
		var want []int32
		for ri, f := range e.ruleFirst {
			if (f < 0 || sc.present[f]) && (hadNeed || slices.Contains(e.freeRules, int32(ri))) {
				want = append(want, int32(ri))
			}
		}
		if got := e.candidateRules(sc, hadNeed); !slices.Equal(got, want) {
			t.Fatalf("candidateRules = %v, want %v", got, want)
		}
	}
	for _, c := range loadCases(t) {
		if got, want := e.Assess(c.text), Default().Assess(c.text); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: with extra rules %+v, want %+v", c.text, got, want)
		}
	}
}
