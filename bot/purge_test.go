package bot_test

import (
	"context"
	"errors"
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
	h.e.AddPlatform(blockedBy{h.con, "console:@Gone"})
	h.say("[@Gone] Gone: my son needs insulin, call 13612345678, Yanping Road 9")
	h.say("[volunteers] admin: /close 1 unreachable")
	h.say("[@Ann] Ann: my mother ran out of insulin two days ago, call 13912340000")
	h.say("[@Ann] Ann: Jing'an district, Yanping Road 5")
	h.say("[@Ben] Ben: I need groceries for my grandmother, call 13700001111") // stays open
	h.say("[volunteers] vol: /volunteer")
	h.sayAs(realAlice, "volunteers", "hello", "")
	h.say("[volunteers] admin: /export")
	h.say("[volunteers] admin: /export csv")
	h.say("[volunteers] admin: /resolve 2")
	if c := h.caseByID(2); c.Status != store.StatusResolved {
		t.Fatalf("case 2 is %s", c.Status)
	}
	withPhone := 0
	for _, d := range deadLetters(t, h) {
		if strings.Contains(string(d.Item.Payload), "13612345678") {
			withPhone++
		}
	}
	if withPhone == 0 {
		t.Fatal("no dead letter with the blocked asker's details")
	}
	exports := func() int {
		files, _ := filepath.Glob(filepath.Join(dir, "lifeline-cases-*"))
		return len(files)
	}
	if exports() != 2 {
		t.Fatalf("%d exports, want an XLSX and a CSV", exports())
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
	if r.Cases != 2 || r.Exports != 2 || r.People != 3 || r.DeadLetters == 0 {
		t.Errorf("purge report %+v, want 2 cases, 2 exports, Gone, Ann and Alice, the dead letters", r)
	}
	for _, id := range []int64{1, 2} {
		if c := h.caseByID(id); c.Text != "" || len(c.Phones) != 0 || c.Address != "" || c.Asker != "" {
			t.Errorf("case %d keeps personal data: %+v", id, c)
		}
		for _, ev := range caseEvents(t, h, id) {
			if ev.Actor != "" && ev.Actor != "lifeline" || ev.Note != "" {
				t.Errorf("case %d event keeps a person or a note: %+v", id, ev)
			}
		}
	}
	if c := h.caseByID(3); c.Text == "" || c.Asker != "console:Ben" {
		t.Errorf("the open case lost its data: %+v", c)
	}
	for _, d := range deadLetters(t, h) {
		if len(d.Item.Payload) > 0 || d.Item.Chat == "console:@Gone" {
			t.Errorf("a dead letter keeps its text or private chat: %+v", d)
		}
	}
	_ = h.st.View(ctx, func(tx *store.Tx) error {
		for _, ref := range []string{"console:Ann", "console:Gone", "console:alice_w"} {
			if _, err := tx.Person(ref); err == nil {
				t.Errorf("the record of %s survived", ref)
			}
		}
		for _, ref := range []string{"console:Ben", "console:vol", "console:admin"} {
			if _, err := tx.Person(ref); err != nil {
				t.Errorf("the record of %s was dropped: %v", ref, err)
			}
		}
		return nil
	})
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
	for _, key := range []string{"dm:console:Ann", "dmowner:console:@Ann", "conv:console:Ann", "dm:console:Gone", "team:console:alice_w", "handle:console:alice_w", "handleof:console:alice_w"} {
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

// blockedBy is the console where one private chat blocked the bot.
type blockedBy struct {
	bot.Platform
	chat string
}

func (b blockedBy) Send(ctx context.Context, m bot.OutMessage) (string, error) {
	if m.Chat == b.chat {
		return "", bot.Unreachable(errors.New("blocked by the user"))
	}
	return b.Platform.Send(ctx, m)
}

func deadLetters(t *testing.T, h *harness) []store.DeadLetter {
	t.Helper()
	var out []store.DeadLetter
	if err := h.st.View(context.Background(), func(tx *store.Tx) error {
		var err error
		out, err = tx.DeadLetters(100)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
