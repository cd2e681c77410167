package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/store"
)

// A scheduled job that panics is logged with its stack and does not take
// the process down; an error is logged too.
func TestGuardedJobsSurvivePanicsAndSayWhy(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	guarded("scheduled backup", log, nil, func() error {
		var m map[string]int
		m["x"] = 1 // a real runtime panic
		return nil
	})()
	if !strings.Contains(logs.String(), `level=ERROR msg="scheduled backup panicked"`) || !strings.Contains(logs.String(), "assignment to entry in nil map") || !strings.Contains(logs.String(), "maintenance_test.go") {
		t.Errorf("panic not logged with its cause and stack:\n%s", logs.String())
	}
	logs.Reset()
	guarded("retention purge", log, nil, func() error { return errors.New("disk is full") })()
	if !strings.Contains(logs.String(), `msg="retention purge failed" err="disk is full"`) {
		t.Errorf("error not logged:\n%s", logs.String())
	}
}

// Whatever keep says, the backup just written is never deleted; older
// ones beyond keep are.
func TestScheduledBackupKeepsTheNewest(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "lifeline.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dir := filepath.Join(t.TempDir(), "backups")
	os.MkdirAll(dir, 0o750)
	for _, old := range []string{"lifeline-20200101-000000.db", "lifeline-20200102-000000.db", "lifeline-20200103-000000.db"} {
		os.WriteFile(filepath.Join(dir, old), []byte("old"), 0o600)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o600)
	for _, keep := range []int{2, 0, -1} {
		if err := scheduledBackup(ctx, st, dir, keep); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 2 || names[1] != "notes.txt" || !strings.HasPrefix(names[0], "lifeline-2") || strings.HasPrefix(names[0], "lifeline-2020") {
		t.Errorf("backups left: %v, want the newest one and notes.txt", names)
	}
	if fi, err := os.Stat(filepath.Join(dir, names[0])); err != nil || fi.Size() < 1024 {
		t.Errorf("newest backup: %v %v", fi, err)
	}
}
