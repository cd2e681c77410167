package store

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// fpIndex finds open cases by near-duplicate fingerprint. The durable data
// is on disk, written in the case's transaction: each open case's
// fingerprint is the value of its idx_open entry. The band lookup over it
// lives in memory, rebuilt from idx_open at Open, because four random
// index keys per case in bbolt cost about half of an ingest's CPU time
// (every key lands on a different page, which a commit copies and
// rewrites).
//
// The memory index holds the committed state. A write transaction's
// changes wait in a delta that its own lookups see, and are applied once
// the transaction is known to have committed: by bbolt's commit handler,
// or by the next transaction to look, whichever comes first (the handler
// runs after bbolt releases the writer lock). A rolled-back delta is
// recognised by its transaction id, which bbolt reuses for the next
// write transaction when nothing was committed.
type fpIndex struct {
	mu    sync.Mutex
	bands [4]map[uint16][]fpEntry
	pend  *fpDelta
}

type fpEntry struct {
	id int64
	fp uint64
}

// fpDelta is one write transaction's changes: the final state of each
// case it touched (fp 0 means no longer indexed) and the fingerprint each
// had in the committed index.
type fpDelta struct {
	tx      *bolt.Tx
	txid    int
	applied bool
	state   map[int64]uint64 // case id -> new fingerprint, 0 = removed
	before  map[int64]uint64 // case id -> fingerprint in the committed index, 0 = absent
}

func newFPIndex() *fpIndex {
	x := &fpIndex{}
	for i := range x.bands {
		x.bands[i] = map[uint16][]fpEntry{}
	}
	return x
}

// rebuild loads the committed index from idx_open.
func (x *fpIndex) rebuild(btx *bolt.Tx) error {
	fresh := newFPIndex()
	err := btx.Bucket(bIdxOpen).ForEach(func(k, v []byte) error {
		if len(k) != 17 {
			return fmt.Errorf("open index key %x: bad length", k)
		}
		// Schema 1 stored the fingerprint alone (or nothing); schema 2
		// follows it with the status and category.
		if len(v) >= 8 {
			if fp := binary.BigEndian.Uint64(v); fp != 0 {
				fresh.add(keyID(k[9:]), fp)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load fingerprint index: %w", err)
	}
	x.mu.Lock()
	x.bands, x.pend = fresh.bands, nil
	x.mu.Unlock()
	return nil
}

func (x *fpIndex) add(id int64, fp uint64) {
	for i, v := range bands(fp) {
		x.bands[i][v] = append(x.bands[i][v], fpEntry{id, fp})
	}
}

func (x *fpIndex) remove(id int64, fp uint64) {
	for i, v := range bands(fp) {
		es := slices.DeleteFunc(x.bands[i][v], func(e fpEntry) bool { return e.id == id })
		if len(es) == 0 {
			delete(x.bands[i], v)
		} else {
			x.bands[i][v] = es
		}
	}
}

// begin settles the pending delta as seen from a starting write
// transaction (see Store.writeTx).
func (x *fpIndex) begin(btx *bolt.Tx) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.syncLocked(btx)
}

// syncLocked applies a committed delta that is still pending, or drops a
// rolled-back one, as seen from btx.
func (x *fpIndex) syncLocked(btx *bolt.Tx) {
	p := x.pend
	if p == nil || p.tx == btx {
		return
	}
	if p.applied {
		x.pend = nil
		return
	}
	committed := btx.ID() // a read transaction sees this txid
	if btx.Writable() {
		committed-- // a write transaction will commit as the next txid
	}
	switch {
	case p.txid <= committed:
		x.applyLocked(p)
		x.pend = nil
	case btx.Writable():
		// Same txid as a new writer: the pending transaction rolled back.
		x.pend = nil
	}
	// Otherwise a reader is older than the pending writer: leave it.
}

func (x *fpIndex) applyLocked(p *fpDelta) {
	if p.applied {
		return
	}
	p.applied = true
	for id, fp := range p.before {
		if fp != 0 {
			x.remove(id, fp)
		}
	}
	for id, fp := range p.state {
		if fp != 0 {
			x.add(id, fp)
		}
	}
}

// deltaLocked returns btx's delta, starting one (and registering its
// commit handler) on the transaction's first change.
func (x *fpIndex) deltaLocked(btx *bolt.Tx) *fpDelta {
	x.syncLocked(btx)
	if x.pend != nil && x.pend.tx == btx {
		return x.pend
	}
	p := &fpDelta{tx: btx, txid: btx.ID(), state: map[int64]uint64{}, before: map[int64]uint64{}}
	x.pend = p
	btx.OnCommit(func() {
		x.mu.Lock()
		defer x.mu.Unlock()
		x.applyLocked(p)
	})
	return p
}

// committedFPLocked returns a case's fingerprint in the committed index,
// or 0 when it is not there. hint is the fingerprint the case had before
// this transaction changed it, which is where it would be filed.
func (x *fpIndex) committedFPLocked(id int64, hint uint64) uint64 {
	if hint == 0 {
		return 0
	}
	for _, e := range x.bands[0][bands(hint)[0]] {
		if e.id == id {
			return e.fp
		}
	}
	return 0
}

// set records in btx that case id is now indexed under fp (0: not
// indexed); old is its fingerprint as indexed before this change.
func (x *fpIndex) set(btx *bolt.Tx, id int64, old, fp uint64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	p := x.deltaLocked(btx)
	if _, seen := p.before[id]; !seen {
		p.before[id] = x.committedFPLocked(id, old)
	}
	p.state[id] = fp
}

// nearest returns the case nearest to fp within Hamming distance 3 (the
// newest on a tie) as btx sees the index, or 0.
func (x *fpIndex) nearest(btx *bolt.Tx, fp uint64) int64 {
	if m := x.near(btx, fp, 1); len(m) > 0 {
		return m[0].id
	}
	return 0
}

// fpMatch is a case within Hamming distance 3 of a looked-up fingerprint.
type fpMatch struct {
	id   int64
	dist int
}

// near returns the cases within Hamming distance 3 of fp as btx sees the
// index, nearest first and newest first on a tie, at most limit of them.
func (x *fpIndex) near(btx *bolt.Tx, fp uint64, limit int) []fpMatch {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.syncLocked(btx)
	var own *fpDelta
	if x.pend != nil && x.pend.tx == btx {
		own = x.pend
	}
	var out []fpMatch
	consider := func(id int64, other uint64) {
		if !nearDuplicate(fp, other) {
			return
		}
		out = append(out, fpMatch{id, popcount(fp ^ other)})
	}
	for i, v := range bands(fp) {
		for _, e := range x.bands[i][v] {
			if own != nil {
				if _, changed := own.state[e.id]; changed {
					continue // this transaction's state decides
				}
			}
			consider(e.id, e.fp)
		}
	}
	if own != nil {
		for id, other := range own.state {
			if other != 0 {
				consider(id, other)
			}
		}
	}
	slices.SortFunc(out, func(a, b fpMatch) int {
		if a.dist != b.dist {
			return cmp.Compare(a.dist, b.dist)
		}
		return cmp.Compare(b.id, a.id)
	})
	// A case sharing several bands with fp was met once per band; its
	// copies are now next to each other.
	out = slices.CompactFunc(out, func(a, b fpMatch) bool { return a.id == b.id })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// snapshot lists the committed index (for tests).
func (x *fpIndex) snapshot(btx *bolt.Tx) map[int64]uint64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.syncLocked(btx)
	out := map[int64]uint64{}
	for _, es := range x.bands[0] {
		for _, e := range es {
			out[e.id] = e.fp
		}
	}
	return out
}
