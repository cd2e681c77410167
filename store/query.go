package store

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/lifeline-aid/lifeline/triage"
)

// Reads for reports, digests, exports and case lists walk an index and
// read only the cases they return (or reject), so they stay fast however
// many cases exist, and they all work in View: a read transaction never
// waits for intake, and intake never waits for it.

// CaseOrder is the index a case query walks.
type CaseOrder uint8

// Case orders.
const (
	// ByUrgency: open cases, most urgent first, then oldest created.
	ByUrgency CaseOrder = iota
	// ByUpdated: open cases, least recently updated first (stale lists).
	ByUpdated
	// ByCreated: every case, by creation time.
	ByCreated
	// ByFinished: resolved and closed cases, by when they finished.
	ByFinished
	// ByFirstResponse: cases a volunteer has acted on, by when they
	// first did.
	ByFirstResponse
)

// CaseQuery selects cases through an index. Filters that the index
// answers (urgency and status, where the order keeps them) cost no case
// read.
type CaseQuery struct {
	Order CaseOrder
	// Since and Until bound the order's time (Since <= t < Until; zero
	// means unbounded). For ByUrgency the time is the creation time.
	Since, Until time.Time
	// Urgencies and Statuses keep only cases with one of them (all when
	// empty).
	Urgencies []triage.Urgency
	Statuses  []Status
	// Keep, when set, is a last filter on the case itself.
	Keep func(*Case) bool
	// Reverse walks the order backwards: newest first.
	Reverse bool
	// After resumes after the page that returned this token.
	After string
	// Limit bounds the page (no limit when <= 0).
	Limit int
}

// orderSpec describes an order's index keys.
type orderSpec struct {
	bucket []byte
	keyLen int
	timeAt int // offset of the 8-byte time
	idAt   int // offset of the 8-byte case id
	ranged bool
	// urgency and status of the case from the key and value, when the
	// index keeps them.
	urgency func(k, v []byte) (triage.Urgency, bool)
	status  func(k, v []byte) (Status, bool)
}

var orders = map[CaseOrder]orderSpec{
	ByUrgency: {bucket: bIdxOpen, keyLen: 17, timeAt: 1, idAt: 9,
		urgency: func(k, _ []byte) (triage.Urgency, bool) { return triage.Urgency(0xff - k[0]), true },
		status: func(_, v []byte) (Status, bool) {
			if len(v) < 9 {
				return "", false
			}
			return statusOfCode(v[8]), true
		}},
	ByUpdated: {bucket: bIdxStale, keyLen: 16, timeAt: 0, idAt: 8, ranged: true,
		urgency: func(_, v []byte) (triage.Urgency, bool) { return triage.Urgency(v[0]), len(v) == 2 },
		status: func(_, v []byte) (Status, bool) {
			if len(v) != 2 {
				return "", false
			}
			return statusOfCode(v[1]), true
		}},
	ByCreated: {bucket: bIdxCreated, keyLen: 16, timeAt: 0, idAt: 8, ranged: true},
	ByFinished: {bucket: bIdxFinished, keyLen: 16, timeAt: 0, idAt: 8, ranged: true,
		status: func(_, v []byte) (Status, bool) {
			if len(v) != 1 {
				return "", false
			}
			return statusOfCode(v[0]), true
		}},
	ByFirstResponse: {bucket: bIdxFirst, keyLen: 16, timeAt: 0, idAt: 8, ranged: true},
}

// QueryCases returns one page of cases and the token for the next page
// ("" when there is no more).
func (tx *Tx) QueryCases(q CaseQuery) (page []*Case, next string, err error) {
	err = tx.ScanCases(q, func(c *Case, token string) bool {
		page = append(page, c)
		if q.Limit > 0 && len(page) >= q.Limit {
			next = token
			return false
		}
		return true
	})
	if err != nil {
		return nil, "", err
	}
	return page, next, nil
}

// ScanCases calls fn with each case the query selects, in its order,
// until fn returns false; token resumes after that case (CaseQuery.After).
// Limit is ignored: fn decides when to stop.
func (tx *Tx) ScanCases(q CaseQuery, fn func(c *Case, token string) bool) error {
	spec, ok := orders[q.Order]
	if !ok {
		return fmt.Errorf("query cases: unknown order %d", q.Order)
	}
	since, until := timeBits(q.Since), uint64(0)
	if !q.Until.IsZero() {
		until = timeBits(q.Until)
	}
	inTime := func(k []byte) (ok, past bool) {
		t := binary.BigEndian.Uint64(k[spec.timeAt:])
		if t < since {
			return false, spec.ranged && q.Reverse
		}
		if until != 0 && t >= until {
			return false, spec.ranged && !q.Reverse
		}
		return true, false
	}
	cur := tx.b(spec.bucket).Cursor()
	var k, v []byte
	switch {
	case q.After != "":
		after, err := hex.DecodeString(q.After)
		if err != nil || len(after) != spec.keyLen {
			return fmt.Errorf("query cases: bad page token %q", q.After)
		}
		k, v = cur.Seek(after)
		switch {
		case q.Reverse && k == nil:
			k, v = cur.Last()
		case q.Reverse:
			k, v = cur.Prev() // the token's key or the next one, either way not wanted
		case bytes.Equal(k, after):
			k, v = cur.Next()
		}
	case spec.ranged && !q.Reverse && since != 0:
		k, v = cur.Seek(binary.BigEndian.AppendUint64(nil, since))
	case spec.ranged && q.Reverse && until != 0:
		if k, v = cur.Seek(binary.BigEndian.AppendUint64(nil, until)); k == nil {
			k, v = cur.Last()
		} else {
			k, v = cur.Prev()
		}
	case q.Reverse:
		k, v = cur.Last()
	default:
		k, v = cur.First()
	}
	step := cur.Next
	if q.Reverse {
		step = cur.Prev
	}
	for ; k != nil; k, v = step() {
		if len(k) != spec.keyLen {
			continue
		}
		ok, past := inTime(k)
		if past {
			return nil
		}
		if !ok {
			continue
		}
		if spec.urgency != nil && len(q.Urgencies) > 0 {
			if u, known := spec.urgency(k, v); known && !slices.Contains(q.Urgencies, u) {
				continue
			}
		}
		if spec.status != nil && len(q.Statuses) > 0 {
			if st, known := spec.status(k, v); known && !slices.Contains(q.Statuses, st) {
				continue
			}
		}
		c, err := tx.Case(keyID(k[spec.idAt:]))
		if err != nil {
			return fmt.Errorf("query cases: %w", err)
		}
		if len(q.Urgencies) > 0 && !slices.Contains(q.Urgencies, c.Urgency) ||
			len(q.Statuses) > 0 && !slices.Contains(q.Statuses, c.Status) ||
			q.Keep != nil && !q.Keep(c) {
			continue
		}
		if !fn(c, hex.EncodeToString(k)) {
			return nil
		}
	}
	return nil
}

// CaseCounts counts cases by urgency, status and category.
type CaseCounts struct {
	Total      int
	ByUrgency  map[triage.Urgency]int
	ByStatus   map[Status]int
	ByCategory map[triage.Category]int
}

// OpenCounts counts the open cases from the open index alone, without
// reading a case: for /stats, digests and metrics.
func (tx *Tx) OpenCounts() (CaseCounts, error) {
	cc := CaseCounts{ByUrgency: map[triage.Urgency]int{}, ByStatus: map[Status]int{}, ByCategory: map[triage.Category]int{}}
	err := tx.b(bIdxOpen).ForEach(func(k, v []byte) error {
		if len(k) != 17 || len(v) < 9 {
			return fmt.Errorf("open index entry %x = %x: bad form", k, v)
		}
		cc.Total++
		cc.ByUrgency[triage.Urgency(0xff-k[0])]++
		cc.ByStatus[statusOfCode(v[8])]++
		cc.ByCategory[triage.Category(v[9:])]++
		return nil
	})
	return cc, err
}
