package actions

import (
	"testing"

	"github.com/lifeline-aid/lifeline/store"
)

func TestCanMove(t *testing.T) {
	tests := []struct {
		from, to store.Status
		want     bool
	}{
		{store.StatusNew, store.StatusVerified, true},
		{store.StatusVerifying, store.StatusResolved, true},
		{store.StatusVerified, store.StatusClosed, true},
		{store.StatusResolved, store.StatusVerifying, false}, // only Reopen leaves a terminal state
		{store.StatusClosed, store.StatusResolved, false},
		{store.StatusVerified, store.StatusVerified, false},
		{store.StatusVerifying, store.StatusNew, false},
	}
	for _, tt := range tests {
		if got := canMove(tt.from, tt.to); got != tt.want {
			t.Errorf("canMove(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
}
