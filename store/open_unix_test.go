//go:build unix

package store

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const unwritableEnv = "LIFELINE_UNWRITABLE_DIR"

// TestOpenUnwritableDirectory opens a database in a directory the user
// may not write. Root may write anywhere, so under root the test binary
// runs itself again as nobody.
func TestOpenUnwritableDirectory(t *testing.T) {
	if dir := os.Getenv(unwritableEnv); dir != "" {
		_, err := Open(context.Background(), filepath.Join(dir, "lifeline.db"), Options{})
		if !errors.Is(err, ErrNotWritable) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "not writable") {
			t.Errorf("Open error = %v, want ErrNotWritable naming %s", err, dir)
		}
		t.Logf("Open: %v", err)
		return
	}
	// A world-readable place for the binary and a directory only root
	// may write.
	base, err := os.MkdirTemp("", "lifeline-unwritable-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	dir := filepath.Join(base, "data")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o755)
		t.Setenv(unwritableEnv, dir)
		TestOpenUnwritableDirectory(t)
		return
	}
	bin := filepath.Join(base, "store.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestOpenUnwritableDirectory$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), unwritableEnv+"="+dir, "HOME="+base, "GOCOVERDIR=")
	cmd.Dir = base
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child as nobody: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestOpenUnwritableDirectory") {
		t.Fatalf("child did not run the check:\n%s", out)
	}
	t.Logf("as nobody:\n%s", out)
}
