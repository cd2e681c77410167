package main

import (
	"math"
	"testing"
)

func TestSolve(t *testing.T) {
	// [4 2; 2 3] x = [2; 1]  →  x = [0.5; 0]
	x := solve([][]float64{{4, 2}, {2, 3}}, []float64{2, 1})
	if math.Abs(x[0]-0.5) > 1e-9 || math.Abs(x[1]) > 1e-9 {
		t.Errorf("x = %v, want [0.5 0]", x)
	}
}

// Rows whose only feature is 1 are requests, the others not: the
// request head learns a positive weight and separates them.
func TestTrainLogisticSeparates(t *testing.T) {
	var data []example
	for i := range 40 {
		lv, v := 0, 0.0
		if i%2 == 0 {
			lv, v = 1, 1
		}
		data = append(data, example{x: []float64{v}, level: lv, weight: 1})
	}
	s := trainLogistic(data, 0, 0.1).(*logistic)
	if s.w[0] <= 0 {
		t.Fatalf("weight %v, want positive", s.w[0])
	}
	if p1, p0 := s.score([]float64{1}), s.score([]float64{0}); p1 < 0.9 || p0 > 0.1 {
		t.Errorf("p(request | 1) = %.3f, p(request | 0) = %.3f", p1, p0)
	}
}

// Thresholds [0, 1] are the rules; a level is reached only when every
// head below it clears its threshold.
func TestDecide(t *testing.T) {
	rules := thresh{{0, 1}, {0, 1}, {0, 1}}
	if got := decide([nHeads]float64{0.1, 0.1, 0.1}, 1, 3, rules); got != 3 {
		t.Errorf("rules, gate request, cues critical: %d, want 3", got)
	}
	if got := decide([nHeads]float64{0.9, 0.9, 0.9}, 0, 3, rules); got != 0 {
		t.Errorf("rules, gate none: %d, want 0", got)
	}
	model := thresh{{0.5, 0.5}, {0.5, 0.5}, {0.5, 0.5}}
	if got := decide([nHeads]float64{0.9, 0.4, 0.9}, 0, 1, model); got != 1 {
		t.Errorf("model: %d, want 1 (the urgent head stops it)", got)
	}
}

func TestFoldsAreEvents(t *testing.T) {
	data := []example{{event: "a"}, {event: "b"}, {event: "a"}}
	f := folds(data)
	if f[0] != "a" || f[1] != "b" || f[2] != "a" {
		t.Errorf("folds %v, want the events", f)
	}
}
