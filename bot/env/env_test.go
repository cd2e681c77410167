package env_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

func TestOnceRunsARedeliveredMessageOnce(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := env.New(env.Config{Store: st})
	m := platform.Message{Chat: "c:g", ID: "7", Text: "hi", Time: time.Now()}
	runs := 0
	for range 2 {
		if err := e.Once(ctx, m, func(*store.Tx) error { runs++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if runs != 1 {
		t.Errorf("ran %d times", runs)
	}
	// An edit with new text is a new fact; a button press is keyed by its own id.
	edit := m
	edit.Edited, edit.Text = true, "hi!"
	press := m
	press.Callback = &platform.Callback{ID: "cb1"}
	for _, x := range []platform.Message{edit, press} {
		if err := e.Once(ctx, x, func(*store.Tx) error { runs++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if runs != 3 {
		t.Errorf("edit and press ran %d times in all, want 3", runs)
	}
	if seen, err := e.Seen(ctx, m); err != nil || !seen {
		t.Errorf("Seen = %v, %v", seen, err)
	}
}

func TestUnion(t *testing.T) {
	got := env.Union([]string{"a", "b"}, []string{"b", "c", "a", "d"})
	if want := []string{"a", "b", "c", "d"}; !slices.Equal(got, want) {
		t.Errorf("Union = %v, want %v", got, want)
	}
}
