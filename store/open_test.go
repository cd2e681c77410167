package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

func TestOpenCreatesDirectoryAndReopens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "data", "nested", "lifeline.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Path() != path || s.SchemaVersion() != CurrentSchema {
		t.Errorf("Path, SchemaVersion = %s, %d", s.Path(), s.SchemaVersion())
	}
	if err := s.PutState(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.PutState(ctx, "k", []byte("v")); !errors.Is(err, ErrClosed) {
		t.Errorf("PutState after Close error = %v, want ErrClosed", err)
	}
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := s.GetState(ctx, "k"); string(v) != "v" {
		t.Errorf("state after reopen = %q", v)
	}
}

func TestOpenLockedByAnotherProcessFailsFast(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lifeline.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// flock locks belong to the open file, so a second Open in this process
	// meets the lock exactly as another process would.
	start := time.Now()
	_, err = Open(ctx, path, Options{LockTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !errors.Is(err, berrors.ErrTimeout) {
		t.Fatalf("second Open error = %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second Open took %v", d)
	}
	for _, want := range []string{path, "another process", "another Lifeline"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestOpenRejectsOtherFiles(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		want  error
		says  string
	}{
		{"text file", func(t *testing.T, path string) {
			writeFile(t, path, []byte(strings.Repeat("not a database\n", 1000)))
		}, ErrNotLifeline, "not a bbolt database"},
		{"short file", func(t *testing.T, path string) {
			writeFile(t, path, []byte("x"))
		}, ErrNotLifeline, "not a bbolt database"},
		{"bbolt file of another program", func(t *testing.T, path string) {
			db, err := bolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("other")); return err }); err != nil {
				t.Fatal(err)
			}
		}, ErrNotLifeline, "without Lifeline's"},
		{"newer schema", func(t *testing.T, path string) {
			s, err := Open(context.Background(), path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(keySchema, u64(99)) }); err != nil {
				t.Fatal(err)
			}
		}, ErrTooNew, "schema version 99"},
		{"a directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}, ErrNotLifeline, "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "lifeline.db")
			tt.setup(t, path)
			s, err := Open(context.Background(), path, Options{LockTimeout: time.Second})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), path) {
				t.Errorf("Open error = %v, want %v saying %q and naming the file", err, tt.want, tt.says)
			}
		})
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestOpenDiskFull uses /dev/full, which fails every write with ENOSPC,
// as the database file: bbolt's first write (the meta pages) hits it.
func TestOpenDiskFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	_, err := Open(context.Background(), "/dev/full", Options{LockTimeout: time.Second})
	if !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), "disk is full") {
		t.Errorf("Open(/dev/full) error = %v, want ErrDiskFull", err)
	}
}

func TestClassifyErrors(t *testing.T) {
	const path = "/data/lifeline.db"
	pathErr := func(errno syscall.Errno) error {
		return &fs.PathError{Op: "open", Path: path, Err: errno}
	}
	tests := []struct {
		name string
		err  error
		want error
		says string
	}{
		{"lock timeout", berrors.ErrTimeout, ErrLocked, "another process"},
		{"permission", pathErr(syscall.EACCES), ErrNotWritable, "directory /data"},
		{"read-only fs", pathErr(syscall.EROFS), ErrNotWritable, "not writable"},
		{"no space", pathErr(syscall.ENOSPC), ErrDiskFull, "disk is full"},
		{"quota", fmt.Errorf("write: %w", syscall.EDQUOT), ErrDiskFull, "disk is full"},
		{"invalid", berrors.ErrInvalid, ErrNotLifeline, "not a bbolt database"},
		{"checksum", berrors.ErrChecksum, ErrNotLifeline, "not a bbolt database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classifyOpenError(path, tt.err)
			if !errors.Is(err, tt.want) || !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), path) {
				t.Errorf("classifyOpenError = %v, want %v saying %q", err, tt.want, tt.says)
			}
		})
	}
	s := &Store{path: path}
	if err := s.writeErr(fmt.Errorf("commit: %w", syscall.ENOSPC)); !errors.Is(err, ErrDiskFull) || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("writeErr(ENOSPC) = %v", err)
	}
	// bbolt formats some errors with %s, losing the errno.
	if err := s.writeErr(fmt.Errorf("file sync error: %s", syscall.ENOSPC)); !errors.Is(err, ErrDiskFull) {
		t.Errorf("writeErr(formatted ENOSPC) = %v", err)
	}
	if err := s.writeErr(errors.New("some other failure")); errors.Is(err, ErrDiskFull) {
		t.Errorf("writeErr(other) = %v", err)
	}
}

func TestCancelledContext(t *testing.T) {
	s := openTest(t, Options{NoSync: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Update(ctx, func(*Tx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Update(cancelled) = %v", err)
	}
	if _, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Open(cancelled) = %v", err)
	}
}
