//go:build unix

package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The crash test runs the test binary again as a writer (TestCrashWriter,
// selected by crashEnvDB) that ingests a deterministic stream of messages
// with fsync on and prints "ok <n>" after each commit. The parent kills it
// with SIGKILL at random points, reopens the file and checks that every
// reported message survived whole, and that nothing is half-written. Half
// of the runs ingest as concurrent single messages (Batch), half as pages
// of up to 64 messages from one goroutine (IngestBatch), each page with a
// broken message that must fail alone.
const (
	crashEnvDB    = "LIFELINE_CRASH_DB"
	crashEnvFrom  = "LIFELINE_CRASH_FROM"
	crashEnvPages = "LIFELINE_CRASH_PAGES"
)

// TestCrashWriter is the subprocess side of TestCrashRecovery.
func TestCrashWriter(t *testing.T) {
	path := os.Getenv(crashEnvDB)
	if path == "" {
		t.Skip("only runs as TestCrashRecovery's subprocess")
	}
	from, _ := strconv.Atoi(os.Getenv(crashEnvFrom))
	s, err := Open(context.Background(), path, Options{LockTimeout: 10 * time.Second})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	next := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	workers := 8 // concurrent ingests so Batch coalesces, as in the bot
	if os.Getenv(crashEnvPages) != "" {
		workers = 0 // one adapter goroutine handing over pages
		wg.Add(1)
		go func() {
			defer wg.Done()
			crashPages(s, next, &mu)
		}()
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if _, err := s.Ingest(context.Background(), crashMsg(i)); err != nil {
					fmt.Println("ingest:", err)
					os.Exit(4)
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ok %d\n", i) // unbuffered: reported only after commit
				mu.Unlock()
			}
		}()
	}
	// Meanwhile a volunteer resolves cases and the outbox worker delivers,
	// so kills also land in case updates and outbox completions.
	stop := make(chan struct{})
	worker := make(chan struct{})
	go func() {
		defer close(worker)
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			err := s.Update(context.Background(), crashVolunteer(n))
			if err != nil {
				fmt.Println("volunteer:", err)
				os.Exit(5)
			}
		}
	}()
	for i := from; i < crashStream; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	close(stop)
	<-worker
	s.Close()
}

// crashPages ingests the stream in pages of 1 to 64 messages, one
// IngestBatch each, with a message without an id somewhere in each page.
func crashPages(s *Store, next <-chan int, mu *sync.Mutex) {
	var page []int
	flush := func() {
		reqs := make([]IngestRequest, 0, len(page)+1)
		bad := len(page) / 2
		for j, i := range page {
			if j == bad {
				reqs = append(reqs, IngestRequest{Msg: MessageKey{Chat: "test:intake-0"}, Merge: true})
			}
			reqs = append(reqs, crashMsg(i))
		}
		_, errs, err := s.IngestBatch(context.Background(), reqs)
		if err != nil {
			fmt.Println("ingest batch:", err)
			os.Exit(4)
		}
		mu.Lock()
		defer mu.Unlock()
		k := 0
		for j, e := range errs {
			if reqs[j].Msg.ID == "" {
				if e == nil {
					fmt.Println("ingest batch: the broken message was accepted")
					os.Exit(4)
				}
				continue
			}
			if e != nil {
				fmt.Println("ingest batch:", e)
				os.Exit(4)
			}
			fmt.Fprintf(os.Stdout, "ok %d\n", page[k]) // reported only after commit
			k++
		}
		page = page[:0]
	}
	size := 1
	for i := range next {
		page = append(page, i)
		if len(page) >= size {
			flush()
			size = 1 + int(splitmix(uint64(i))%64)
		}
	}
	if len(page) > 0 {
		flush()
	}
}

func TestCrashRecovery(t *testing.T) {
	if os.Getenv(crashEnvDB) != "" {
		t.Skip("in the writer subprocess")
	}
	kills, budget := 50, 45*time.Second
	if testing.Short() {
		kills, budget = 8, 10*time.Second
	}
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("LIFELINE_CRASH_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Logf("seed %d (set LIFELINE_CRASH_SEED to replay)", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	path := filepath.Join(t.TempDir(), "lifeline.db")
	committed := map[int]bool{}
	start := time.Now()
	runs, killed := 0, 0
	for runs < kills && time.Since(start) < budget {
		runs++
		low := 0
		for committed[low] {
			low++
		}
		// Start a little before the first gap so the writer also meets
		// messages it already committed (they must come back duplicate).
		from := max(0, low-rng.IntN(30))
		byLines, pages := rng.IntN(2) == 0, rng.IntN(2) == 0
		lines, delay := 1+rng.IntN(600), time.Duration(rng.IntN(250))*time.Millisecond
		n, wasKilled, err := runCrashWriter(path, from, byLines, pages, lines, delay, committed)
		if err != nil {
			t.Fatalf("run %d: %v", runs, err)
		}
		if wasKilled {
			killed++
		}
		if err := verifyCrashDB(path, committed); err != nil {
			t.Fatalf("after run %d (from %d, %d new commits, killed %v): %v", runs, from, n, wasKilled, err)
		}
	}
	t.Logf("%d runs, %d SIGKILLs, %d messages committed, %v", runs, killed, len(committed), time.Since(start).Round(time.Millisecond))
	if killed < runs/2 {
		t.Errorf("only %d of %d runs were killed", killed, runs)
	}

	// Re-ingesting every message, committed or not yet, changes nothing
	// for those already in: they are duplicates.
	s, err := Open(context.Background(), path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var cases, resolved, pending int
	view(t, s, func(tx *Tx) error {
		pending, _ = tx.PendingOutbox()
		return tx.ForEachCase(func(c *Case) error {
			cases++
			if c.Status == StatusResolved {
				resolved++
			}
			return nil
		})
	})
	t.Logf("%d cases (%d resolved by the volunteer), %d outbox items still pending", cases, resolved, pending)
	if resolved == 0 {
		t.Error("the volunteer resolved no case")
	}
	before := dbDigest(t, s)
	// Update rather than Ingest: a lone Batch caller waits out the batch
	// delay each time.
	for i := range committed {
		update(t, s, func(tx *Tx) error {
			res, err := tx.Ingest(crashMsg(i))
			if err == nil && !res.Duplicate {
				t.Errorf("message %d ingested again", i)
			}
			return err
		})
	}
	if after := dbDigest(t, s); after != before {
		t.Error("re-ingesting committed messages changed the database")
	}
}

// runCrashWriter starts the writer and kills it after a number of reported
// commits or after a delay; it adds every reported commit to committed,
// including those read from the pipe after the kill.
func runCrashWriter(path string, from int, byLines, pages bool, lines int, delay time.Duration, committed map[int]bool) (int, bool, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriter$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnvDB+"="+path, crashEnvFrom+"="+strconv.Itoa(from))
	if pages {
		cmd.Env = append(cmd.Env, crashEnvPages+"=1")
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, false, err
	}
	if err := cmd.Start(); err != nil {
		return 0, false, err
	}
	kill := func() { _ = cmd.Process.Signal(syscall.SIGKILL) }
	var timer *time.Timer
	if !byLines {
		timer = time.AfterFunc(delay, kill)
	}
	n, seen := 0, 0
	var other []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		v, ok := strings.CutPrefix(line, "ok ")
		if !ok {
			other = append(other, line)
			continue
		}
		i, err := strconv.Atoi(v)
		if err != nil {
			other = append(other, line)
			continue
		}
		if !committed[i] {
			committed[i] = true
			n++
		}
		seen++
		if byLines && seen == lines {
			kill()
		}
	}
	if timer != nil {
		timer.Stop()
	}
	err = cmd.Wait()
	killed := false
	if ee, ok := err.(*exec.ExitError); ok {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			killed, err = true, nil
		}
	}
	if err != nil {
		// The writer's own output ("PASS", "ok ...") is fine on a clean exit.
		return n, false, fmt.Errorf("writer: %v; output %q", err, other)
	}
	return n, killed, nil
}

// verifyCrashDB reopens the file after a crash and checks it.
func verifyCrashDB(path string, committed map[int]bool) error {
	if _, err := os.Stat(path); os.IsNotExist(err) {
		if len(committed) > 0 {
			return fmt.Errorf("database missing after %d commits", len(committed))
		}
		return nil // killed before Open created it
	}
	s, err := Open(context.Background(), path, Options{LockTimeout: 5 * time.Second})
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	defer s.Close()
	return s.View(context.Background(), func(tx *Tx) error {
		if err := checkConsistency(tx); err != nil {
			return err
		}
		if err := checkFPIndex(tx); err != nil {
			return err
		}
		// Every source of every case is a seen message, and each seen
		// message is the source of exactly one case: no seen record
		// without its case, no case without its seen record.
		where := map[MessageKey]*Case{}
		err := tx.ForEachCase(func(c *Case) error {
			srcs, err := tx.Sources(c.ID)
			if err != nil {
				return err
			}
			for _, src := range srcs {
				k := MessageKey{Chat: src.Chat, ID: src.Msg}
				if in, err := tx.CaseOfMessage(k); err != nil || in == nil || in.ID != c.ID {
					return fmt.Errorf("case #%d source %v: CaseOfMessage = %v, %v", c.ID, k, in, err)
				}
				if prev, dup := where[k]; dup {
					return fmt.Errorf("message %v in cases #%d and #%d", k, prev.ID, c.ID)
				}
				where[k] = c
				if ok, _ := tx.Seen(k); !ok {
					return fmt.Errorf("case #%d source %v not marked seen", c.ID, k)
				}
				if !tx.hasDedupe("ack:" + src.Chat + "/" + src.Msg) {
					return fmt.Errorf("case #%d source %v has no acknowledgement queued", c.ID, k)
				}
			}
			if !tx.hasDedupe(fmt.Sprintf("alert:%d:%s", c.ID, c.Urgency)) {
				return fmt.Errorf("case #%d has no alert queued", c.ID)
			}
			evs, err := tx.Events(c.ID)
			if err != nil {
				return err
			}
			intake, resolved := 0, false
			for _, e := range evs {
				switch e.Kind {
				case "created", "merged":
					intake++
				case "status":
					resolved = e.To == string(StatusResolved)
				}
			}
			if intake != len(srcs) || intake != c.SourceCount || evs[0].Kind != "created" || resolved != (c.Status == StatusResolved) {
				return fmt.Errorf("case #%d (%s) has %d sources (count %d) but events %v", c.ID, c.Status, len(srcs), c.SourceCount, evs)
			}
			return nil
		})
		if err != nil {
			return err
		}
		nSeen := tx.b(bSeen).Stats().KeyN
		if nSeen != len(where) {
			return fmt.Errorf("%d seen messages but %d case sources", nSeen, len(where))
		}
		for i := range committed {
			k := crashMsgKey(i)
			c, ok := where[k]
			if !ok {
				return fmt.Errorf("committed message %d (%v) has no case", i, k)
			}
			it, err := tx.dedupeItem("ack:" + k.Chat + "/" + k.ID)
			if errors.Is(err, ErrNotFound) {
				continue // delivered; its dedupe key was checked above
			}
			if err != nil {
				return fmt.Errorf("committed message %d: %w", i, err)
			}
			if it.Case != c.ID {
				return fmt.Errorf("committed message %d: ack for case #%d, message is in #%d", i, it.Case, c.ID)
			}
		}
		return nil
	})
}

func (tx *Tx) hasDedupe(key string) bool { return tx.b(bOutDedupe).Get([]byte(key)) != nil }

// dedupeItem returns the pending outbox item queued under a dedupe key;
// the error wraps ErrNotFound when it was delivered.
func (tx *Tx) dedupeItem(key string) (*OutboxItem, error) {
	v := tx.b(bOutDedupe).Get([]byte(key))
	if len(v) != 8 {
		return nil, fmt.Errorf("no outbox item for %q", key)
	}
	return tx.outboxItem(uint64(keyID(v)))
}

// dbDigest hashes every bucket's keys, values and sequence.
func dbDigest(t *testing.T, s *Store) [32]byte {
	t.Helper()
	h := sha256.New()
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			fmt.Fprintf(h, "bucket %s %d\n", name, b.Sequence())
			return b.ForEach(func(k, v []byte) error {
				fmt.Fprintf(h, "%x=%x\n", k, v)
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}
