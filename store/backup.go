package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Backup writes a consistent copy of the whole database to w while the bot
// keeps running: it is one read transaction, so writers are not blocked
// and the copy is the state at one commit. It returns the bytes written.
//
// See the package documentation for how to restore one.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := s.View(ctx, func(tx *Tx) error {
		var err error
		n, err = tx.tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("back up %s: %w", s.path, err)
	}
	return n, nil
}

// BackupFile writes a backup to path atomically: a temporary file in the
// same directory, fsynced, then renamed over path, so a crash never leaves
// a half-written backup under the final name.
func (s *Store) BackupFile(ctx context.Context, path string) error {
	return writeFileAtomic(path, func(w io.Writer) error {
		_, err := s.Backup(ctx, w)
		return err
	})
}

func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create backup file in %s: %w", dir, diskErr(err))
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		return diskErr(err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write backup %s: %w", path, diskErr(err))
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync backup %s: %w", path, diskErr(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close backup %s: %w", path, diskErr(err))
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("rename backup to %s: %w", path, err)
	}
	// Sync the directory so the rename itself survives a power cut.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// diskErr marks ENOSPC as ErrDiskFull so the caller can say so.
func diskErr(err error) error {
	if isDiskFull(err) && !errors.Is(err, ErrDiskFull) {
		return fmt.Errorf("%w: %w", ErrDiskFull, err)
	}
	return err
}

// The backup socket protocol is one line each way, then the file:
//
//	client: "BACKUP\n"
//	server: "OK <size>\n" followed by exactly size bytes, or "ERR <message>\n"
//
// The size lets the client tell a complete copy from a cut connection.

// ServeBackups answers backup requests on a unix socket at socketPath
// until ctx is done, then closes it and removes the socket file. Only the
// process holding the database can read it while it runs, so this is how
// `lifeline backup` gets a copy from a running bot. The socket is created
// with mode 0600 (only the bot's user may ask).
func ServeBackups(ctx context.Context, s *Store, socketPath string) error {
	// A socket file left by a killed bot would make Listen fail; remove it
	// only if it is a socket and nobody answers on it.
	if fi, err := os.Lstat(socketPath); err == nil && fi.Mode()&fs.ModeSocket != 0 {
		if c, err := net.DialTimeout("unix", socketPath, time.Second); err == nil {
			_ = c.Close()
			return fmt.Errorf("serve backups on %s: another process is already listening", socketPath)
		}
		_ = os.Remove(socketPath)
	}
	ln, err := net.Listen("unix", socketPath)
	if err != nil {
		return fmt.Errorf("serve backups on %s: %w", socketPath, err)
	}
	_ = os.Chmod(socketPath, 0o600)
	defer os.Remove(socketPath)
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			_ = ln.Close()
			return fmt.Errorf("serve backups on %s: %w", socketPath, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			// A connection may not outlive the server's context.
			stopConn := context.AfterFunc(ctx, func() { _ = conn.Close() })
			defer stopConn()
			if err := serveBackup(ctx, s, conn); err != nil {
				s.log.Warn("backup request failed", "err", err)
			}
		}()
	}
}

func serveBackup(ctx context.Context, s *Store, conn net.Conn) error {
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(io.LimitReader(conn, 64)).ReadString('\n')
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	if strings.TrimSpace(line) != "BACKUP" {
		_, _ = fmt.Fprintf(conn, "ERR unknown request %q\n", strings.TrimSpace(line))
		return fmt.Errorf("unknown request %q", strings.TrimSpace(line))
	}
	_ = conn.SetReadDeadline(time.Time{})
	start := time.Now()
	var n int64
	err = s.View(ctx, func(tx *Tx) error {
		size := tx.tx.Size()
		bw := bufio.NewWriterSize(conn, 1<<20)
		if _, err := fmt.Fprintf(bw, "OK %d\n", size); err != nil {
			return err
		}
		var err error
		if n, err = tx.tx.WriteTo(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("send backup: %w", err)
	}
	s.log.Info("backup sent", "bytes", n, "took", time.Since(start))
	return nil
}

// RequestBackup asks the bot serving backups on socketPath for a copy and
// writes it atomically to outPath. It fails rather than leave a partial
// file when the connection breaks.
func RequestBackup(ctx context.Context, socketPath, outPath string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socketPath)
	if err != nil {
		return fmt.Errorf("request backup from %s (is the bot running?): %w", socketPath, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if _, err := io.WriteString(conn, "BACKUP\n"); err != nil {
		return fmt.Errorf("request backup from %s: %w", socketPath, err)
	}
	r := bufio.NewReaderSize(conn, 1<<20)
	line, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("read backup header from %s: %w", socketPath, err)
	}
	line = strings.TrimSpace(line)
	if msg, ok := strings.CutPrefix(line, "ERR "); ok {
		return fmt.Errorf("bot refused backup: %s", msg)
	}
	sizeText, ok := strings.CutPrefix(line, "OK ")
	size, err := strconv.ParseInt(sizeText, 10, 64)
	if !ok || err != nil || size < 0 {
		return fmt.Errorf("bad backup header %q from %s", line, socketPath)
	}
	err = writeFileAtomic(outPath, func(w io.Writer) error {
		n, err := io.Copy(w, io.LimitReader(r, size))
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("receive backup: %w", ctx.Err())
			}
			return fmt.Errorf("receive backup: %w", err)
		}
		if n != size {
			return fmt.Errorf("receive backup: connection closed after %d of %d bytes", n, size)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("backup to %s: %w", outPath, err)
	}
	return nil
}
