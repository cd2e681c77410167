package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/triage"
)

// sampleDB writes a small but real database (several hundred records over
// a few dozen pages, nested buckets, long values on overflow pages),
// closes it and returns its bytes, page size and the number of pages in
// use (bbolt grows the file ahead of them).
func sampleDB(t testing.TB) ([]byte, int, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lifeline.db")
	s, err := Open(context.Background(), path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(context.Background(), func(tx *Tx) error {
		for i := range 300 {
			c := &Case{Text: fmt.Sprintf("plea %d: %s", i, strings.Repeat("水", i%40)), Urgency: triage.Urgency(i % 4), Created: t0.Add(time.Duration(i) * time.Minute), Phones: []string{fmt.Sprintf("1391234%04d", i)}}
			if err := tx.CreateCase(c); err != nil {
				return err
			}
			if _, err := tx.Enqueue(&OutboxItem{Chat: "telegram:-100222", Kind: "alert", Case: c.ID, Payload: []byte(strings.Repeat("x", 50))}); err != nil {
				return err
			}
		}
		return tx.PutState("big", []byte(strings.Repeat("y", 20000))) // overflow pages
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m0 := readMeta(f, 0)
	m1 := readMeta(f, int64(m0.pageSize))
	if !m0.valid || !m1.valid {
		t.Fatal("sample database has an invalid meta page")
	}
	hwm := m0.pgid
	if m1.txid > m0.txid {
		hwm = m1.pgid
	}
	return b, int(m0.pageSize), int(hwm)
}

// openDamaged writes data as a database next to a backups directory and
// opens it. It fails the test on a panic (protect must turn every panic
// into an error) and reads every case of a file that opened.
func openDamaged(t *testing.T, data []byte) (string, error) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "lifeline.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), path, Options{LockTimeout: 100 * time.Millisecond, NoSync: true})
	if err == nil {
		// Opened: the damage hit nothing the check reads (a free page, a
		// byte inside a value). Reading everything still must not crash.
		_ = s.View(context.Background(), func(tx *Tx) error {
			return tx.ForEachCase(func(*Case) error { return nil })
		})
		s.Close()
	}
	return path, err
}

func TestTruncatedDatabaseIsRefusedWithHowToRestore(t *testing.T) {
	data, ps, used := sampleDB(t)
	if used < 8 {
		t.Fatalf("sample database uses only %d pages", used)
	}
	// Cutting the unused tail bbolt grew the file by is harmless.
	if _, err := openDamaged(t, data[:used*ps]); err != nil {
		t.Fatalf("file cut after its last page: %v", err)
	}
	for _, size := range []int{used*ps - 1, (used - 1) * ps, used * ps / 2, 3 * ps, 2*ps + 100} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			path, err := openDamaged(t, data[:size])
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("Open = %v, want ErrDamaged", err)
			}
			for _, want := range []string{path, "cut short", "mv " + path + " " + path + ".damaged", "data_dir/backups/", "lifeline backup"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q:\n%v", want, err)
				}
			}
		})
	}
}

func TestDamagedDatabaseNamesTheNewestBackup(t *testing.T) {
	data, ps, used := sampleDB(t)
	data = data[:used*ps]
	dir := t.TempDir()
	path := filepath.Join(dir, "lifeline.db")
	os.WriteFile(path, data[:len(data)/2], 0o600)
	os.MkdirAll(filepath.Join(dir, "backups"), 0o700)
	for _, n := range []string{"lifeline-20260401-030000.db", "lifeline-20260402-030000.db", "notes.txt"} {
		os.WriteFile(filepath.Join(dir, "backups", n), data, 0o600)
	}
	_, err := Open(context.Background(), path, Options{})
	want := "cp " + filepath.Join(dir, "backups", "lifeline-20260402-030000.db") + " " + path
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), want) {
		t.Errorf("Open = %v\nwant ErrDamaged saying %q", err, want)
	}
}

// Bit flips in every page's header and first elements: each file either
// opens (and reads without crashing) or is refused as damaged or as not
// a database — never a panic or a fault. Flipping the type of a page the
// tree uses must be caught.
func TestBitFlippedDatabaseNeverCrashes(t *testing.T) {
	data, ps, pages := sampleDB(t)
	data = data[:pages*ps]
	// Page type, element count, overflow; the first elements' flags,
	// positions and sizes (and a child page id in branches); a key.
	offsets := []int{8, 11, 15, 16, 20, 24, 31, 100}
	refused, opened := 0, 0
	for p := 0; p < pages; p++ {
		for _, off := range offsets {
			for _, mask := range []byte{0x01 << (off % 8)} {
				b := append([]byte(nil), data...)
				b[p*ps+off] ^= mask
				_, err := openDamaged(t, b)
				switch {
				case err == nil:
					opened++
				case errors.Is(err, ErrDamaged) || errors.Is(err, ErrNotLifeline):
					refused++
				default:
					t.Errorf("page %d byte %d ^%#x: Open = %v, want ErrDamaged or ErrNotLifeline", p, off, mask, err)
				}
			}
		}
	}
	t.Logf("%d pages, %d damaged files: %d refused, %d opened", pages, refused+opened, refused, opened)
	if refused == 0 {
		t.Error("no damage was detected")
	}
}

// FuzzInspect: whatever the bytes, the check before mapping a file
// answers (nil or an error) and never panics.
func FuzzInspect(f *testing.F) {
	data, ps, used := sampleDB(f)
	f.Add(data[:used*ps])
	f.Add(data[:3*ps])
	f.Add([]byte("not a database"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "fuzz.db")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		_ = inspect(context.Background(), path, time.Second, func(string, ...any) {})
	})
}

// BenchmarkInspect measures the consistency check at open on a database
// of 20,000 cases with their outbox items.
func BenchmarkInspect(b *testing.B) {
	path := filepath.Join(b.TempDir(), "lifeline.db")
	s, err := Open(context.Background(), path, Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	for batch := range 20 {
		err := s.Update(context.Background(), func(tx *Tx) error {
			for i := range 1000 {
				c := &Case{Text: fmt.Sprintf("plea %d/%d: %s", batch, i, strings.Repeat("水", 60)), Urgency: triage.High, Created: t0, Phones: []string{fmt.Sprintf("139%08d", batch*1000+i)}}
				if err := tx.CreateCase(c); err != nil {
					return err
				}
				if err := tx.AppendEvent(&Event{Case: c.ID, At: t0, Actor: "lifeline", Kind: "created"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	s.Close()
	for b.Loop() {
		if err := inspect(context.Background(), path, time.Minute, func(string, ...any) {}); err != nil {
			b.Fatal(err)
		}
	}
	f, _ := os.Open(path)
	defer f.Close()
	m, _ := newestMeta(f)
	b.ReportMetric(float64(m.pgid)*float64(m.pageSize)/(1<<20), "MB-used")
}
