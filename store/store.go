package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Errors a caller may want to tell apart with errors.Is.
var (
	// ErrLocked means another process holds the database file's lock.
	ErrLocked = errors.New("database is locked by another process")
	// ErrNotLifeline means the file exists but is not a Lifeline database.
	ErrNotLifeline = errors.New("not a Lifeline database")
	// ErrNotWritable means the data directory or file may not be written.
	ErrNotWritable = errors.New("not writable")
	// ErrDiskFull means a write failed because the disk has no space left.
	ErrDiskFull = errors.New("disk is full")
	// ErrTooNew means the file was written by a newer Lifeline.
	ErrTooNew = errors.New("database written by a newer Lifeline")
	// ErrClosed means the store was used after Close.
	ErrClosed = errors.New("store is closed")
)

// Bucket names. They are created together in one transaction at open.
var (
	bMeta      = []byte("meta")
	bCases     = []byte("cases")
	bEvents    = []byte("events") // case id + event id -> Event
	bSeen      = []byte("seen")   // seenKey -> time
	bPeople    = []byte("people")
	bChats     = []byte("chats")
	bDir       = []byte("dir")
	bOutbox    = []byte("outbox")
	bOutDue    = []byte("outbox_due")    // dueKey -> nil
	bOutDedupe = []byte("outbox_dedupe") // dedupe key -> item id (kept after delivery)
	bDead      = []byte("outbox_dead")   // id -> deadLetter
	bState     = []byte("state")
	bIdxOpen   = []byte("idx_open")  // openKey -> fingerprint (or nothing), open cases only
	bIdxStale  = []byte("idx_stale") // staleKey -> nil, open cases only
	bIdxPhone  = []byte("idx_phone") // refKey(phone) -> open flag, every unpurged case
	bIdxAsker  = []byte("idx_asker") // refKey(asker) -> nil, every unpurged case
	bIdxDone   = []byte("idx_done")  // doneKey -> nil, finished cases not yet purged
	// Added in schema 2.
	bSources     = []byte("sources")        // sourceKey(case, seq) -> Source
	bIdxMsg      = []byte("idx_msg")        // seenKey -> case id + source seq
	bSeenExp     = []byte("seen_exp")       // time + seenKey -> nil, for expiry
	bIdxCreated  = []byte("idx_created")    // created time + id -> nil, every case
	bIdxFinished = []byte("idx_finished")   // doneKey -> status code, every finished case
	bIdxFirst    = []byte("idx_first")      // first response time + id -> nil
	bOutChat     = []byte("outbox_chat")    // chat + id -> state, lane, since; queued and dead items
	bDeadAt      = []byte("outbox_dead_at") // dead time + id -> nil, dead letters with their text

	allBuckets = [][]byte{bMeta, bCases, bEvents, bSeen, bPeople, bChats, bDir,
		bOutbox, bOutDue, bOutDedupe, bDead, bState,
		bIdxOpen, bIdxStale, bIdxPhone, bIdxAsker, bIdxDone,
		bSources, bIdxMsg, bSeenExp, bIdxCreated, bIdxFinished, bIdxFirst, bOutChat, bDeadAt}

	keySchema = []byte("schema")
	keyApp    = []byte("app")
	appName   = []byte("lifeline")
)

// batchDelay is how long Batch waits for more callers before committing.
const batchDelay = 2 * time.Millisecond

// Options tune Open. The zero value is ready to use.
type Options struct {
	// LockTimeout bounds the wait for the file lock held by another
	// process; 0 means 2s. Open never waits forever.
	LockTimeout time.Duration
	// CheckTimeout bounds the consistency check of an existing file at
	// open; 0 means 10s. A check still running then lets the file open
	// (and logs how far it got).
	CheckTimeout time.Duration
	// NoSync skips fsync on commit: faster, and a power cut may lose the
	// last transactions (a process crash does not). For tests and bulk loads.
	NoSync bool
	// Logger receives migrations, purges and backups; nil discards.
	Logger *slog.Logger
}

// Store is Lifeline's bbolt database. It is safe for concurrent use: many
// readers and one writer at a time, as bbolt allows.
type Store struct {
	db      *bolt.DB
	path    string
	log     *slog.Logger
	version int
	fp      *fpIndex
	hooks   hooks
}

// Open opens or creates the database at path, creating its directory,
// its buckets and its schema version, and migrating an older file.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = 2 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, classifyOpenError(path, fmt.Errorf("create data directory: %w", err))
		}
	}
	existed := false
	if fi, err := os.Stat(path); err == nil {
		existed = fi.Size() > 0
		if fi.IsDir() {
			return nil, fmt.Errorf("open store %s: is a directory: %w", path, ErrNotLifeline)
		}
	}
	if existed {
		if err := inspect(ctx, path, opts.CheckTimeout, log.With("db", path).Warn); err != nil {
			if errors.Is(err, ErrDamaged) {
				return nil, damagedError(path, err)
			}
			return nil, fmt.Errorf("open store %s: check: %w", path, err)
		}
	}
	bopts := &bolt.Options{
		Timeout:      opts.LockTimeout,
		NoSync:       opts.NoSync,
		FreelistType: bolt.FreelistMapType,
	}
	if runtime.GOOS != "windows" {
		// A large initial map means growing the file rarely has to wait
		// for readers to finish (bbolt remaps under an exclusive lock).
		// Only address space: the file still grows as needed, except on
		// Windows, where bbolt would resize the file to the map at once.
		bopts.InitialMmapSize = 256 << 20
	}
	// Everything that reads the file at open runs protected: a damaged
	// page becomes ErrDamaged, never a crash.
	var db *bolt.DB
	if err := protect(func() (err error) { db, err = bolt.Open(path, 0o600, bopts); return err }); err != nil {
		if errors.Is(err, ErrDamaged) {
			return nil, damagedError(path, err)
		}
		return nil, classifyOpenError(path, err)
	}
	// bbolt waits 10ms by default to gather a batch. Under load the next
	// batch gathers anyway while the current one commits, so a shorter
	// wait loses little coalescing and takes 8ms off every ingest, which
	// is also the time before an alert can go out.
	db.MaxBatchDelay = batchDelay
	s := &Store{db: db, path: path, log: log.With("db", path), fp: newFPIndex()}
	if err := protect(func() error { return s.init(existed) }); err != nil {
		_ = db.Close()
		if existed && errors.Is(err, berrors.ErrIncompatibleValue) {
			// One of our buckets is a plain value: a damaged page.
			err = fmt.Errorf("%w: %w", ErrDamaged, err)
		}
		if errors.Is(err, ErrDamaged) {
			return nil, damagedError(path, err)
		}
		return nil, classifyOpenError(path, err)
	}
	if err := protect(func() error { return db.View(s.fp.rebuild) }); err != nil {
		_ = db.Close()
		// The index is read from records in the file: one that does not
		// decode is damage too.
		if !errors.Is(err, ErrDamaged) {
			err = fmt.Errorf("%w: %w", ErrDamaged, err)
		}
		return nil, damagedError(path, err)
	}
	return s, nil
}

// classifyOpenError turns what bbolt and the OS report into the errors an
// operator can act on, keeping the cause wrapped.
func classifyOpenError(path string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("open store %s: %w (probably another Lifeline is running with the same data directory; stop it, or use `lifeline backup` to copy a running database): %w", path, ErrLocked, err)
	case errors.Is(err, ErrNotLifeline), errors.Is(err, ErrTooNew), errors.Is(err, ErrLocked):
		return fmt.Errorf("open store %s: %w", path, err)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch),
		errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrInvalidMapping):
		return fmt.Errorf("open store %s: %w: the file is not a bbolt database (or is damaged): %w", path, ErrNotLifeline, err)
	case isDiskFull(err):
		return fmt.Errorf("open store %s: %w: free some space on the disk holding it: %w", path, ErrDiskFull, err)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EROFS):
		return fmt.Errorf("open store %s: %w: directory %s or the file is not writable by this user: %w", path, ErrNotWritable, filepath.Dir(path), err)
	}
	return fmt.Errorf("open store %s: %w", path, err)
}

// init creates the buckets and the schema version on a new file, checks
// the meta bucket on an existing one and runs pending migrations, all in
// one transaction so a crash leaves either the old or the new layout.
func (s *Store) init(existed bool) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bMeta)
		version := CurrentSchema
		switch {
		case meta == nil && existed && hasAnyBucket(tx):
			return fmt.Errorf("%w: it is a bbolt file without Lifeline's %q bucket", ErrNotLifeline, bMeta)
		case meta == nil:
			// A new (or never initialised) file: create the current layout.
			m, err := tx.CreateBucket(bMeta)
			if err != nil {
				return fmt.Errorf("create meta bucket: %w", err)
			}
			if err := m.Put(keyApp, appName); err != nil {
				return fmt.Errorf("write meta: %w", err)
			}
			if err := m.Put(keySchema, u64(uint64(CurrentSchema))); err != nil {
				return fmt.Errorf("write schema version: %w", err)
			}
		default:
			if app := meta.Get(keyApp); app != nil && string(app) != string(appName) {
				return fmt.Errorf("%w: meta bucket names application %q", ErrNotLifeline, app)
			}
			v := meta.Get(keySchema)
			if len(v) != 8 {
				return fmt.Errorf("%w: meta bucket has no schema version", ErrNotLifeline)
			}
			version = int(keyID(v))
			if version > CurrentSchema {
				return fmt.Errorf("%w: schema version %d, this build knows up to %d", ErrTooNew, version, CurrentSchema)
			}
		}
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		for version < CurrentSchema {
			m, ok := migrations[version]
			if !ok {
				return fmt.Errorf("no migration from schema version %d", version)
			}
			if err := m(tx); err != nil {
				return fmt.Errorf("migrate schema %d to %d: %w", version, version+1, err)
			}
			s.log.Info("migrated database schema", "from", version, "to", version+1)
			version++
			if err := tx.Bucket(bMeta).Put(keySchema, u64(uint64(version))); err != nil {
				return fmt.Errorf("write schema version: %w", err)
			}
		}
		s.version = version
		return nil
	})
}

func hasAnyBucket(tx *bolt.Tx) bool {
	found := false
	_ = tx.ForEach(func([]byte, *bolt.Bucket) error { found = true; return errStop })
	return found
}

var errStop = errors.New("stop")

// Close releases the file and its lock.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.path, err)
	}
	return nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// SchemaVersion returns the schema version of the open file (always
// CurrentSchema once Open has migrated it).
func (s *Store) SchemaVersion() int { return s.version }

// Update runs fn in one read-write transaction, committed if fn returns nil.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ok, err := s.inGroup(ctx, true, fn); ok {
		return err
	}
	return s.writeErr(s.db.Update(func(btx *bolt.Tx) error { return fn(s.writeTx(btx)) }))
}

// Batch runs fn in a read-write transaction shared with concurrent Batch
// callers, so many small writes share one fsync. fn may run more than once
// (when another call in the batch fails), so it must be idempotent and must
// not leak state from a failed run; it returns once its transaction is
// committed.
func (s *Store) Batch(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ok, err := s.inGroup(ctx, true, fn); ok {
		return err
	}
	return s.writeErr(s.db.Batch(func(btx *bolt.Tx) error { return fn(s.writeTx(btx)) }))
}

// writeTx wraps a write transaction. Every write transaction first
// settles the fingerprint index's pending delta: a delta left by a
// rolled-back transaction must be dropped before a transaction reusing
// its id commits, or it would later pass for committed.
func (s *Store) writeTx(btx *bolt.Tx) *Tx {
	s.fp.begin(btx)
	return &Tx{tx: btx, fp: s.fp, hooks: &s.hooks}
}

// View runs fn in a read-only transaction: a consistent snapshot that does
// not block the writer.
func (s *Store) View(ctx context.Context, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ok, err := s.inGroup(ctx, false, fn); ok {
		return err // reads inside a group see its writes
	}
	return s.db.View(func(btx *bolt.Tx) error { return fn(&Tx{tx: btx, fp: s.fp}) })
}

// writeErr names a full disk or closed database instead of a bare errno.
func (s *Store) writeErr(err error) error {
	switch {
	case err == nil:
		return nil
	case isDiskFull(err):
		return fmt.Errorf("write %s: %w: free some space, the change was not saved: %w", s.path, ErrDiskFull, err)
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return fmt.Errorf("write %s: %w", s.path, ErrClosed)
	}
	return err
}

// GetState returns a small state value, or nil, nil when absent.
func (s *Store) GetState(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := s.View(ctx, func(tx *Tx) error {
		var err error
		v, err = tx.GetState(key)
		return err
	})
	return v, err
}

// PutState stores a small state value (adapter offsets, identity maps,
// the last digest run). A nil value deletes the key.
func (s *Store) PutState(ctx context.Context, key string, val []byte) error {
	return s.Update(ctx, func(tx *Tx) error { return tx.PutState(key, val) })
}

// isDiskFull recognises ENOSPC and EDQUOT, also where bbolt formats them
// into a string instead of wrapping them (growing and syncing the file).
func isDiskFull(err error) bool {
	if err == nil {
		return false
	}
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) ||
		strings.Contains(err.Error(), syscall.ENOSPC.Error()) ||
		strings.Contains(err.Error(), syscall.EDQUOT.Error())
}
