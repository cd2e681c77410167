package triage

import (
	"slices"
	"testing"
)

// The embedded model must have been trained on the features the engine
// computes today; after changing a feature, retrain (see README).
func TestModelMatchesFeatures(t *testing.T) {
	if !trainedModel.Trained {
		t.Skip("no trained model embedded")
	}
	if !slices.Equal(trainedModel.Features, FeatureNames()) {
		t.Errorf("decide_model.go was trained on other features: retrain with internal/gen/decide\nmodel:  %v\nengine: %v",
			trainedModel.Features, FeatureNames())
	}
	for h := range nHeads {
		if len(trainedModel.Weights[h]) != len(trainedModel.Features) {
			t.Errorf("head %d: %d weights for %d features", h, len(trainedModel.Weights[h]), len(trainedModel.Features))
		}
	}
}

// Thresholds [0, 1] leave a head to the hand-set rules; equal thresholds
// give it to the model; in between the model overrides the rules only
// when it is sure.
func TestModelLevelThresholds(t *testing.T) {
	rules := [nHeads][2]float32{{0, 1}, {0, 1}, {0, 1}}
	model := [nHeads][2]float32{{0.5, 0.5}, {0.5, 0.5}, {0.5, 0.5}}
	between := [nHeads][2]float32{{0.2, 0.9}, {0.2, 0.9}, {0.2, 0.9}}
	cases := []struct {
		name      string
		th        [nHeads][2]float32
		p         [nHeads]float64
		gate, cue Urgency
		want      Urgency
	}{
		{"rules: gate says critical", rules, [nHeads]float64{0.1, 0.1, 0.1}, Critical, Critical, Critical},
		{"rules: gate says none", rules, [nHeads]float64{0.99, 0.99, 0.99}, None, Critical, None},
		{"rules: request at the cues' level", rules, [nHeads]float64{0.5, 0.1, 0.1}, High, High, High},
		{"model: sure of a request", model, [nHeads]float64{0.8, 0.3, 0.1}, None, Normal, Normal},
		{"model: not a request", model, [nHeads]float64{0.3, 0.9, 0.9}, Critical, Critical, None},
		{"between: gate yes, model unsure", between, [nHeads]float64{0.3, 0.3, 0.1}, High, High, High},
		{"between: gate no, model unsure", between, [nHeads]float64{0.6, 0.1, 0.1}, None, Normal, None},
		{"between: gate no, model sure", between, [nHeads]float64{0.95, 0.1, 0.1}, None, Normal, Normal},
	}
	for _, c := range cases {
		m := decisionModel{Trained: true, Threshold: [2][nHeads][2]float32{c.th, c.th}}
		if got := m.level(c.p, false, c.gate, c.cue); got != c.want {
			t.Errorf("%s: level %s, want %s", c.name, got, c.want)
		}
	}
}

// A model trained on a feature the engine no longer computes still
// loads: the unknown feature is dropped, the known ones keep their
// weights.
func TestCompileModelByName(t *testing.T) {
	tw := trainedWeights{Trained: true, Features: []string{"gone", "ask", "need"},
		Weights: [nHeads][]float32{{9, 2, 3}, {0, 0, 0}, {0, 0, 0}}}
	m := compileModel(&tw)
	if m.Weights[0][fAsk] != 2 || m.Weights[0][fNeed] != 3 {
		t.Errorf("weights by name: ask %v need %v", m.Weights[0][fAsk], m.Weights[0][fNeed])
	}
	for f := range nFeatures {
		if f != fAsk && f != fNeed && m.Weights[0][f] != 0 {
			t.Errorf("feature %s got weight %v", featureNames[f], m.Weights[0][f])
		}
	}
}

func TestDecisionInputs(t *testing.T) {
	e := Default()
	a, x := e.DecisionInputs("求助！我爸爸透析两周没做了", nil)
	if len(x) != len(FeatureNames()) {
		t.Fatalf("%d features, want %d", len(x), len(FeatureNames()))
	}
	if a2 := e.Assess("求助！我爸爸透析两周没做了"); a2.Urgency != a.Urgency || a2.Score != a.Score {
		t.Errorf("DecisionInputs assessed differently: %s vs %s", a.Explain(), a2.Explain())
	}
	_, y := e.DecisionInputs("求助！我爸爸透析两周没做了", x[:0])
	if !slices.Equal(x, y) {
		t.Error("features are not deterministic")
	}
}

// The speech act is read from the kinds of the cues, plea or not.
func TestSpeechActs(t *testing.T) {
	cases := []struct {
		text string
		want SpeechAct
	}{
		{"I need insulin, I ran out yesterday, please help", ActPlea},
		{"求助，我们被困在二楼了", ActPlea},
		{"My mother is unconscious, please help", ActRelayed},
		{"求助！我爸爸透析两周没做了", ActRelayed},
		{"我家有多余的胰岛素可以分享，需要的联系我", ActOffer},
		{"We have spare rooms available for anyone displaced, DM us", ActOffer},
		{"据报道，地震已造成100人遇难", ActNews},
		{"请大家提前储水，明天上午停水", ActNotice},
		{"我们组分头行动，收到请回复", ActCoordination},
		{"为什么效率太低，真的无语", ActOpinion},
		{"Praying for everyone in the flood, stay safe", ActThanks},
		{"全场包邮，优惠大促", ActAd},
		{"今天天气不错", ActChat},
	}
	for _, c := range cases {
		if got := Assess(c.text).Act; got != c.want {
			a := Assess(c.text)
			t.Errorf("%q: act %s, want %s (%s)", c.text, got, c.want, a.Explain())
		}
	}
}
