package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ingestN ingests n distinct messages, each its own case.
func ingestN(t testing.TB, s *Store, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		_, err := s.Ingest(context.Background(), IngestRequest{
			Msg: MessageKey{Chat: "tg:-1", ID: fmt.Sprint(i)}, At: t0.Add(time.Duration(i) * time.Second),
			Case: Case{Text: fmt.Sprint("plea ", i), Phones: []string{fmt.Sprint(13800000000 + i)}}, Merge: true, Alerts: alerts,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func countCases(t testing.TB, path string) int {
	t.Helper()
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("open backup: %v", err)
	}
	defer s.Close()
	mustConsistent(t, s)
	n := 0
	view(t, s, func(tx *Tx) error { return tx.ForEachCase(func(*Case) error { n++; return nil }) })
	return n
}

// TestBackupWhileWriting takes backups while a writer keeps ingesting: each
// backup must open as a consistent Lifeline database.
func TestBackupWhileWriting(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ingestN(t, s, 0, 50)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 50; ctx.Err() == nil; i++ {
			ingestN(t, s, i, 1)
		}
	}()
	dir := t.TempDir()
	last := 0
	for i := range 3 {
		out := filepath.Join(dir, fmt.Sprintf("backup-%d.db", i))
		if err := s.BackupFile(context.Background(), out); err != nil {
			t.Fatal(err)
		}
		n := countCases(t, out)
		if n < 50 || n < last {
			t.Errorf("backup %d has %d cases, previous %d", i, n, last)
		}
		last = n
	}
	cancel()
	wg.Wait()
	var buf bytes.Buffer
	n, err := s.Backup(context.Background(), &buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Errorf("Backup = %d, %v (buffer %d)", n, err, buf.Len())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestServeBackupsOverUnixSocket(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ingestN(t, s, 0, 20)
	dir := t.TempDir()
	sock := filepath.Join(dir, "backup.sock")
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ServeBackups(ctx, s, sock) }()
	// The socket file appears at bind, before listen: wait until a
	// connection is accepted, not until the file exists.
	waitFor(t, func() bool {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	out := filepath.Join(dir, "copy.db")
	if err := RequestBackup(context.Background(), sock, out); err != nil {
		t.Fatal(err)
	}
	if n := countCases(t, out); n != 20 {
		t.Errorf("backup has %d cases, want 20", n)
	}
	// Two clients at once, while the bot writes.
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := RequestBackup(context.Background(), sock, filepath.Join(dir, fmt.Sprintf("c%d.db", i))); err != nil {
				t.Error(err)
				failed.Add(1)
			}
		}()
	}
	ingestN(t, s, 20, 5)
	wg.Wait()
	if failed.Load() == 0 {
		for i := range 2 {
			if n := countCases(t, filepath.Join(dir, fmt.Sprintf("c%d.db", i))); n < 20 {
				t.Errorf("concurrent backup %d has %d cases", i, n)
			}
		}
	}

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("ServeBackups = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeBackups did not stop with its context")
	}
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left behind: %v", err)
	}
	err := RequestBackup(context.Background(), sock, filepath.Join(dir, "none.db"))
	if err == nil {
		t.Error("RequestBackup with no server succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); !errors.Is(err, os.ErrNotExist) {
		t.Error("failed request left an output file")
	}
}

// TestServeBackupsReplacesStaleSocket: a bot killed with SIGKILL leaves its
// socket file; the next run must still start.
func TestServeBackupsReplacesStaleSocket(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	dir := t.TempDir()
	sock := filepath.Join(dir, "backup.sock")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeBackups(ctx, s, sock) }()
	waitFor(t, func() bool { _, err := os.Stat(sock); return err == nil })
	// A second server on the same socket refuses rather than steal it.
	if err := ServeBackups(context.Background(), s, sock); err == nil {
		t.Error("second ServeBackups on a live socket succeeded")
	}
	cancel()
	<-done
	// Leave a dead socket file behind, as a killed process would.
	ln, err := netListenUnixNoUnlink(sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("stale socket not left: %v", err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { done <- ServeBackups(ctx2, s, sock) }()
	time.Sleep(50 * time.Millisecond)
	if err := RequestBackup(context.Background(), sock, filepath.Join(dir, "b.db")); err != nil {
		t.Errorf("RequestBackup after stale socket: %v", err)
	}
	cancel2()
	if err := <-done; err != nil {
		t.Errorf("ServeBackups = %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 5s")
}
