package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Tx is one transaction handed to Update, Batch or View. Every method that
// writes a record also updates that record's secondary indexes in the same
// transaction, so an index never disagrees with the records on disk. Values
// returned are copies: they stay valid after the transaction ends.
type Tx struct {
	tx *bolt.Tx
	fp *fpIndex // nil while Open migrates, before the index is loaded
	// hooks are told the cases this transaction touched once it commits
	// (nil in read transactions); touched collects them.
	hooks   *hooks
	touched map[int64]bool
}

func (tx *Tx) b(name []byte) *bolt.Bucket {
	b := tx.tx.Bucket(name)
	if fill, ok := appendFill[string(name)]; ok && b != nil {
		b.FillPercent = fill
	}
	return b
}

// appendFill raises bbolt's page fill (default 0.5) for buckets whose keys
// mostly grow at the end: records under sequential ids, and indexes
// ordered by time. With the default, every page split leaves a half-empty
// page behind, which doubles the file for records of about 1 KB.
var appendFill = map[string]float64{
	string(bCases): 0.9, string(bEvents): 0.9, string(bOutbox): 0.9,
	string(bDead): 0.9, string(bDir): 0.9, string(bIdxStale): 0.9,
	string(bIdxOpen): 0.9, string(bOutDue): 0.9, string(bIdxDone): 0.9,
	string(bSources): 0.9, string(bSeenExp): 0.9, string(bIdxCreated): 0.9,
	string(bIdxFinished): 0.9, string(bIdxFirst): 0.9, string(bDeadAt): 0.9,
}

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	// json.Unmarshal copies strings and byte slices, so nothing returned
	// points into bbolt's memory map.
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("decode %s record %x: %w", b.Tx().DB().Path(), key, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode record: %w", err)
	}
	return b.Put(key, raw)
}

// ---- seen messages

// MarkSeen records an incoming message; first is false when it was
// already recorded (a redelivery), in which case nothing is written.
// An empty chat or id is an error rather than a key: every later message
// without one would otherwise look like a redelivery and be dropped.
// The record expires after retention (Purge), counted from at (from now
// when at is zero).
func (tx *Tx) MarkSeen(k MessageKey, at time.Time) (first bool, err error) {
	if k.Chat == "" || k.ID == "" {
		return false, fmt.Errorf("mark message seen: chat %q id %q: both are required", k.Chat, k.ID)
	}
	b := tx.b(bSeen)
	key := seenKey(k)
	if b.Get(key) != nil {
		return false, nil
	}
	if at.IsZero() {
		at = time.Now()
	}
	if err := b.Put(key, u64(timeBits(at))); err != nil {
		return false, fmt.Errorf("mark message %s/%s seen: %w", k.Chat, k.ID, err)
	}
	if err := tx.b(bSeenExp).Put(seenExpKey(at, key), []byte{}); err != nil {
		return false, fmt.Errorf("mark message %s/%s seen: expiry index: %w", k.Chat, k.ID, err)
	}
	return true, nil
}

// Seen reports whether a message was already recorded.
func (tx *Tx) Seen(k MessageKey) (bool, error) {
	return tx.b(bSeen).Get(seenKey(k)) != nil, nil
}

// ---- cases

// indexEntry is one secondary index key (and value) a case owns.
type indexEntry struct {
	bucket []byte
	key    []byte
	val    []byte
}

func (e indexEntry) id() string { return string(e.bucket) + "\x00" + string(e.key) }

// caseIndex lists every index entry a case should have. Deriving them from
// the record alone is what lets PutCase remove stale keys exactly and lets
// the consistency checks rebuild the expected index.
func caseIndex(c *Case) []indexEntry {
	out := make([]indexEntry, 0, 8)
	id := uint64(c.ID)
	if c.Status.Open() {
		// The fingerprint rides on the open entry: it is what the
		// in-memory band index is rebuilt from (see fpIndex). Status and
		// category let counts and filters skip reading the case.
		v := make([]byte, 9, 9+len(c.Category))
		binary.BigEndian.PutUint64(v, c.Assessment.Fingerprint)
		v[8] = statusCode(c.Status)
		v = append(v, c.Category...)
		out = append(out,
			indexEntry{bIdxOpen, openKey(c), v},
			indexEntry{bIdxStale, staleKey(c), []byte{byte(c.Urgency), statusCode(c.Status)}})
	} else {
		if !c.Purged {
			out = append(out, indexEntry{bIdxDone, doneKey(c), nil})
		}
		out = append(out, indexEntry{bIdxFinished, doneKey(c), []byte{statusCode(c.Status)}})
	}
	out = append(out, indexEntry{bIdxCreated, timeIDKey(c.Created, id), nil})
	if !c.FirstResponse.IsZero() {
		out = append(out, indexEntry{bIdxFirst, timeIDKey(c.FirstResponse, id), nil})
	}
	if !c.Purged {
		// The value says whether the case is open, so a phone that appears
		// in many finished cases does not make FindOpenByPhone read them.
		open := []byte{0}
		if c.Status.Open() {
			open = []byte{1}
		}
		for i, p := range c.Phones {
			if p != "" && !slices.Contains(c.Phones[:i], p) {
				out = append(out, indexEntry{bIdxPhone, refKey(p, c.ID), open})
			}
		}
		if c.Asker != "" {
			out = append(out, indexEntry{bIdxAsker, refKey(c.Asker, c.ID), nil})
		}
	}
	return out
}

// writeCase stores c and moves its index entries from old's (nil for a new
// case) to its own. Entries that did not change are not rewritten, so an
// update dirties only the index pages it must.
func (tx *Tx) writeCase(old, c *Case) error {
	entries := caseIndex(c)
	before := map[string]string{} // old's entries: bucket/key -> value
	if old != nil {
		now := make(map[string]bool, len(entries))
		for _, e := range entries {
			now[e.id()] = true
		}
		for _, e := range caseIndex(old) {
			before[e.id()] = string(e.val)
			if now[e.id()] {
				continue
			}
			if err := tx.b(e.bucket).Delete(e.key); err != nil {
				return fmt.Errorf("unindex case #%d from %s: %w", c.ID, e.bucket, err)
			}
		}
	}
	for _, e := range entries {
		if v, ok := before[e.id()]; ok && v == string(e.val) {
			continue
		}
		val := e.val
		if val == nil {
			val = []byte{}
		}
		if err := tx.b(e.bucket).Put(e.key, val); err != nil {
			return fmt.Errorf("index case #%d in %s: %w", c.ID, e.bucket, err)
		}
	}
	if err := putJSON(tx.b(bCases), idKey(c.ID), c); err != nil {
		return fmt.Errorf("write case #%d: %w", c.ID, err)
	}
	tx.touch(c.ID)
	if oldFP, newFP := indexedFP(old), indexedFP(c); tx.fp != nil && oldFP != newFP {
		tx.fp.set(tx.tx, c.ID, oldFP, newFP)
	}
	return nil
}

// indexedFP is the fingerprint a case is findable by: open cases only.
func indexedFP(c *Case) uint64 {
	if c == nil || !c.Status.Open() {
		return 0
	}
	return c.Assessment.Fingerprint
}

// CreateCase stores a new case under the next sequential id (1, 2, 3…,
// short enough for people to type "#42"), setting c.ID, a missing status
// (new) and missing Created/Updated times. The store-kept fields
// (SourceCount, Latest, Links) start empty.
func (tx *Tx) CreateCase(c *Case) error {
	c.SourceCount, c.Latest, c.Links = 0, nil, nil
	return tx.createCase(c)
}

func (tx *Tx) createCase(c *Case) error {
	if err := tx.newCaseID(c); err != nil {
		return err
	}
	return tx.writeCase(nil, c)
}

// newCaseID gives a new case its id and default status and times,
// without writing it.
func (tx *Tx) newCaseID(c *Case) error {
	b := tx.b(bCases)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("allocate case id: %w", err)
	}
	c.ID = int64(seq)
	if c.Status == "" {
		c.Status = StatusNew
	}
	if c.Created.IsZero() {
		c.Created = time.Now()
	}
	if c.Updated.IsZero() {
		c.Updated = c.Created
	}
	return nil
}

// PutCase updates an existing case and its index entries. It returns
// ErrNotFound when the case does not exist. A zero Updated is set to now.
// The store-kept fields (SourceCount, Latest, Links) keep their stored
// values, which are also copied into c.
func (tx *Tx) PutCase(c *Case) error {
	old, err := tx.Case(c.ID)
	if err != nil {
		return fmt.Errorf("update case: %w", err)
	}
	if c.Updated.IsZero() {
		c.Updated = time.Now()
	}
	c.SourceCount, c.Latest, c.Links = old.SourceCount, old.Latest, old.Links
	return tx.writeCase(old, c)
}

// Case returns one case; the error wraps ErrNotFound when it does not exist.
func (tx *Tx) Case(id int64) (*Case, error) {
	c := new(Case)
	ok, err := getJSON(tx.b(bCases), idKey(id), c)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("case #%d: %w", id, ErrNotFound)
	}
	return c, nil
}

// FindOpenByPhone returns the newest open case that has this phone number,
// or nil, nil when there is none.
func (tx *Tx) FindOpenByPhone(phone string) (*Case, error) {
	if phone == "" {
		return nil, nil
	}
	var found *Case
	err := tx.reverseRef(bIdxPhone, phone, func(id int64, open []byte) (bool, error) {
		if len(open) == 1 && open[0] == 0 {
			return true, nil
		}
		c, err := tx.Case(id)
		if err != nil {
			return false, fmt.Errorf("phone index: %w", err)
		}
		if c.Status.Open() {
			found = c
			return false, nil
		}
		return true, nil
	})
	return found, err
}

// reverseRef visits the case ids (and index values) filed under ref in a
// ref index, newest (highest id) first, while fn returns true.
func (tx *Tx) reverseRef(bucket []byte, ref string, fn func(id int64, val []byte) (bool, error)) error {
	prefix := refPrefix(ref)
	cur := tx.b(bucket).Cursor()
	k, v := cur.Seek(binary.BigEndian.AppendUint64(bytes.Clone(prefix), math.MaxUint64))
	if k == nil {
		k, v = cur.Last()
	} else {
		k, v = cur.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = cur.Prev() {
		more, err := fn(keyID(k[len(prefix):]), v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// FindOpenByFingerprint returns the open case whose text fingerprint is
// nearest to fp within Hamming distance 3 (the newest on a tie), or nil,
// nil. It looks up each 16-bit band of fp, which finds every case within
// that distance without scanning all open cases. In a read transaction
// the lookup reflects the latest commit, so a case closed since the
// snapshot was taken may be missed there; ingestion runs it in the write
// transaction, where it is exact.
func (tx *Tx) FindOpenByFingerprint(fp uint64) (*Case, error) {
	if fp == 0 || tx.fp == nil {
		return nil, nil
	}
	id := tx.fp.nearest(tx.tx, fp)
	if id == 0 {
		return nil, nil
	}
	c, err := tx.Case(id)
	if errors.Is(err, ErrNotFound) && !tx.tx.Writable() {
		return nil, nil // created after this read snapshot
	}
	if err != nil {
		return nil, fmt.Errorf("fingerprint index: %w", err)
	}
	if !c.Status.Open() || !nearDuplicate(fp, c.Assessment.Fingerprint) {
		return nil, nil
	}
	return c, nil
}

// OpenCases lists open cases, most urgent first and, within one urgency,
// oldest first, keeping those keep accepts (all when keep is nil), up to
// limit (no limit when limit <= 0). It reads only the cases it returns or
// rejects, so the first page is fast however many cases exist.
func (tx *Tx) OpenCases(limit int, keep func(*Case) bool) ([]*Case, error) {
	var out []*Case
	cur := tx.b(bIdxOpen).Cursor()
	for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
		if len(k) != 17 {
			continue
		}
		c, err := tx.Case(keyID(k[9:]))
		if err != nil {
			return out, fmt.Errorf("open case index: %w", err)
		}
		if keep != nil && !keep(c) {
			continue
		}
		out = append(out, c)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// StaleCases calls fn with each open case last updated before the given
// time, least recently updated first, until fn returns false.
func (tx *Tx) StaleCases(before time.Time, fn func(*Case) bool) error {
	limit := timeBits(before)
	cur := tx.b(bIdxStale).Cursor()
	for k, _ := cur.First(); k != nil; k, _ = cur.Next() {
		if len(k) != 16 {
			continue
		}
		if binary.BigEndian.Uint64(k) >= limit {
			return nil
		}
		c, err := tx.Case(keyID(k[8:]))
		if err != nil {
			return fmt.Errorf("stale case index: %w", err)
		}
		if !fn(c) {
			return nil
		}
	}
	return nil
}

// ForEachCase calls fn with every case in id order; an error from fn stops
// the walk and is returned.
func (tx *Tx) ForEachCase(fn func(*Case) error) error {
	return tx.b(bCases).ForEach(func(k, v []byte) error {
		c := new(Case)
		if err := json.Unmarshal(v, c); err != nil {
			return fmt.Errorf("decode case %x: %w", k, err)
		}
		return fn(c)
	})
}

// CasesByAsker returns the cases a person asked for, newest first.
func (tx *Tx) CasesByAsker(person string) ([]*Case, error) {
	var out []*Case
	if person == "" {
		return nil, nil
	}
	err := tx.reverseRef(bIdxAsker, person, func(id int64, _ []byte) (bool, error) {
		c, err := tx.Case(id)
		if err != nil {
			return false, fmt.Errorf("asker index: %w", err)
		}
		out = append(out, c)
		return true, nil
	})
	return out, err
}

// ---- events

// AppendEvent adds an audit record for e.Case, assigning e.ID from a
// store-wide sequence (and e.At when zero).
func (tx *Tx) AppendEvent(e *Event) error {
	b := tx.b(bEvents)
	seq, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("allocate event id: %w", err)
	}
	e.ID = seq
	if e.At.IsZero() {
		e.At = time.Now()
	}
	key := binary.BigEndian.AppendUint64(idKey(e.Case), e.ID)
	if err := putJSON(b, key, e); err != nil {
		return fmt.Errorf("append event to case #%d: %w", e.Case, err)
	}
	if e.Case != 0 {
		tx.touch(e.Case)
	}
	return nil
}

// Events returns a case's audit log in the order it was written.
func (tx *Tx) Events(caseID int64) ([]Event, error) {
	var out []Event
	prefix := idKey(caseID)
	cur := tx.b(bEvents).Cursor()
	for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		var e Event
		if err := json.Unmarshal(v, &e); err != nil {
			return out, fmt.Errorf("decode event %x: %w", k, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// ---- people, chats, directory

// Person returns a person by "platform:id"; the error wraps ErrNotFound.
func (tx *Tx) Person(ref string) (*Person, error) {
	p := new(Person)
	ok, err := getJSON(tx.b(bPeople), []byte(ref), p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("person %s: %w", ref, ErrNotFound)
	}
	return p, nil
}

// PutPerson creates or replaces a person.
func (tx *Tx) PutPerson(p *Person) error {
	if p.Ref == "" {
		return errors.New("put person: empty ref")
	}
	if err := putJSON(tx.b(bPeople), []byte(p.Ref), p); err != nil {
		return fmt.Errorf("put person %s: %w", p.Ref, err)
	}
	return nil
}

// ForEachPerson calls fn with every person, ordered by ref.
func (tx *Tx) ForEachPerson(fn func(*Person) error) error {
	return tx.b(bPeople).ForEach(func(k, v []byte) error {
		p := new(Person)
		if err := json.Unmarshal(v, p); err != nil {
			return fmt.Errorf("decode person %q: %w", k, err)
		}
		return fn(p)
	})
}

// Chat returns a chat by "platform:id"; the error wraps ErrNotFound.
func (tx *Tx) Chat(ref string) (*Chat, error) {
	c := new(Chat)
	ok, err := getJSON(tx.b(bChats), []byte(ref), c)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("chat %s: %w", ref, ErrNotFound)
	}
	return c, nil
}

// PutChat creates or replaces a chat.
func (tx *Tx) PutChat(c *Chat) error {
	if c.Ref == "" {
		return errors.New("put chat: empty ref")
	}
	if err := putJSON(tx.b(bChats), []byte(c.Ref), c); err != nil {
		return fmt.Errorf("put chat %s: %w", c.Ref, err)
	}
	return nil
}

// ForEachChat calls fn with every chat, ordered by ref.
func (tx *Tx) ForEachChat(fn func(*Chat) error) error {
	return tx.b(bChats).ForEach(func(k, v []byte) error {
		c := new(Chat)
		if err := json.Unmarshal(v, c); err != nil {
			return fmt.Errorf("decode chat %q: %w", k, err)
		}
		return fn(c)
	})
}

// PutDirEntry creates (when e.ID is 0, assigning it) or replaces a
// directory entry.
func (tx *Tx) PutDirEntry(e *DirEntry) error {
	b := tx.b(bDir)
	if e.ID == 0 {
		seq, err := b.NextSequence()
		if err != nil {
			return fmt.Errorf("allocate directory id: %w", err)
		}
		e.ID = int64(seq)
	} else if uint64(e.ID) > b.Sequence() {
		// Keep the sequence ahead of imported ids so new ones never collide.
		if err := b.SetSequence(uint64(e.ID)); err != nil {
			return fmt.Errorf("advance directory id: %w", err)
		}
	}
	if err := putJSON(b, idKey(e.ID), e); err != nil {
		return fmt.Errorf("put directory entry %d: %w", e.ID, err)
	}
	return nil
}

// DeleteDirEntry removes a directory entry; the error wraps ErrNotFound
// when it does not exist.
func (tx *Tx) DeleteDirEntry(id int64) error {
	b := tx.b(bDir)
	if b.Get(idKey(id)) == nil {
		return fmt.Errorf("directory entry %d: %w", id, ErrNotFound)
	}
	if err := b.Delete(idKey(id)); err != nil {
		return fmt.Errorf("delete directory entry %d: %w", id, err)
	}
	return nil
}

// ForEachDirEntry calls fn with every directory entry in id order.
func (tx *Tx) ForEachDirEntry(fn func(*DirEntry) error) error {
	return tx.b(bDir).ForEach(func(k, v []byte) error {
		e := new(DirEntry)
		if err := json.Unmarshal(v, e); err != nil {
			return fmt.Errorf("decode directory entry %x: %w", k, err)
		}
		return fn(e)
	})
}

// ---- state

// GetState returns a copy of a state value, or nil, nil when absent.
func (tx *Tx) GetState(key string) ([]byte, error) {
	v := tx.b(bState).Get([]byte(key))
	if v == nil {
		return nil, nil
	}
	return bytes.Clone(v), nil
}

// ForEachState calls fn with each state key that starts with prefix and
// its value (valid only during the call), in key order.
func (tx *Tx) ForEachState(prefix string, fn func(key string, val []byte) error) error {
	c := tx.b(bState).Cursor()
	p := []byte(prefix)
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		if err := fn(string(k), v); err != nil {
			return err
		}
	}
	return nil
}

// PutState stores a state value; nil deletes the key.
func (tx *Tx) PutState(key string, val []byte) error {
	if key == "" {
		return errors.New("put state: empty key")
	}
	b := tx.b(bState)
	var err error
	if val == nil {
		err = b.Delete([]byte(key))
	} else {
		err = b.Put([]byte(key), val)
	}
	if err != nil {
		return fmt.Errorf("put state %q: %w", key, err)
	}
	return nil
}
