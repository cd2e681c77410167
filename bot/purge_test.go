package bot_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/store"
)

// The retention purge is the engine's, on the engine's clock: it runs
// once a day, and takes what ties a person to a finished case (the case's
// personal data, their private-chat link and conversation, what names
// them to commands, old export files) while keeping whoever still has an
// open case or a role.
func TestRetentionPurgeThroughTheEngine(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, func(o *bot.Options) {
		o.Workflow.RetentionDays = 60
		o.Workflow.ExportDir = dir
	})
	ctx := context.Background()
	h.say("[@Ann] Ann: my mother ran out of insulin two days ago, call 13912340000")
	h.say("[@Ann] Ann: Jing'an district, Yanping Road 5")
	h.say("[@Ben] Ben: I need groceries for my grandmother, call 13700001111") // stays open
	h.say("[volunteers] vol: /volunteer")
	h.sayAs(realAlice, "volunteers", "hello", "")
	h.say("[volunteers] admin: /export")
	h.say("[volunteers] admin: /resolve 1")
	if c := askerCase(t, h, 1); c.Status != store.StatusResolved {
		t.Fatalf("case 1 is %s", c.Status)
	}
	exports := func() int {
		files, _ := filepath.Glob(filepath.Join(dir, "lifeline-cases-*.csv"))
		return len(files)
	}
	if exports() != 1 {
		t.Fatalf("%d exports", exports())
	}
	// A file that is not an export is never touched.
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}

	ran, r, err := h.e.RunDuePurge(ctx)
	if err != nil || !ran || r != (bot.PurgeReport{}) {
		t.Fatalf("first purge: ran %v, %+v, %v; want a run that finds nothing", ran, r, err)
	}
	h.advance(23 * time.Hour)
	if ran, _, _ := h.e.RunDuePurge(ctx); ran {
		t.Fatal("purged twice in a day")
	}
	h.advance(60 * 24 * time.Hour)
	h.say("[volunteers] admin: /export") // a fresh export stays
	ran, r, err = h.e.RunDuePurge(ctx)
	if err != nil || !ran {
		t.Fatalf("purge after retention: ran %v, %v", ran, err)
	}
	if r.Cases != 1 || r.Exports != 1 || r.People < 1 {
		t.Errorf("purge report %+v, want 1 case, 1 export, Ann", r)
	}
	if c := askerCase(t, h, 1); c.Text != "" || len(c.Phones) != 0 || c.Address != "" || c.Asker != "" {
		t.Errorf("case 1 keeps personal data: %+v", c)
	}
	if c := askerCase(t, h, 2); c.Text == "" || c.Asker != "console:Ben" {
		t.Errorf("the open case lost its data: %+v", c)
	}
	if exports() != 1 {
		t.Errorf("%d exports left, want the fresh one", exports())
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Errorf("a file that is no export was touched: %v", err)
	}
	state := func(key string) string {
		raw, err := h.st.GetState(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	for _, key := range []string{"dm:console:Ann", "dmowner:console:@Ann", "conv:console:Ann", "team:console:alice_w", "handle:console:alice_w", "handleof:console:alice_w"} {
		if v := state(key); v != "" {
			t.Errorf("%s survived: %q", key, v)
		}
	}
	// Ben asks an open case; vol holds a role: both stay reachable.
	for _, key := range []string{"dm:console:Ben", "team:console:vol"} {
		if state(key) == "" {
			t.Errorf("%s was purged", key)
		}
	}
	if !strings.Contains(h.logs.String(), "retention purge") {
		t.Error("the purge is not logged")
	}
}
