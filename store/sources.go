package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// A case's sources are records of their own under (case id, sequence),
// and idx_msg maps each message to the case and source it is in. Adding a
// source writes one small record, one index key and the case record,
// whose size does not grow with the number of sources (it keeps a count
// and the latest one).

// putSource files s as the next source of c: it sets s.Case and s.Seq,
// indexes the message unless it already points somewhere, and updates
// c.SourceCount and (when s is the newest) c.Latest in memory. The caller
// writes c.
func (tx *Tx) putSource(c *Case, s *Source) error {
	c.SourceCount++
	s.Case, s.Seq = c.ID, uint64(c.SourceCount)
	if s.Kind == "" {
		s.Kind = SourceRepost
		if s.Seq == 1 {
			s.Kind = SourceFirst
		}
	}
	if err := putJSON(tx.b(bSources), sourceKey(c.ID, s.Seq), s); err != nil {
		return fmt.Errorf("write source %d of case #%d: %w", s.Seq, c.ID, err)
	}
	if s.Chat != "" && s.Msg != "" {
		idx := tx.b(bIdxMsg)
		mk := seenKey(MessageKey{Chat: s.Chat, ID: s.Msg})
		if idx.Get(mk) == nil {
			if err := idx.Put(mk, sourceKey(c.ID, s.Seq)); err != nil {
				return fmt.Errorf("index message %s/%s: %w", s.Chat, s.Msg, err)
			}
		}
	}
	// Latest is the newest by time: a message delivered late does not
	// hide the one volunteers last saw.
	if c.Latest == nil || !s.At.Before(c.Latest.At) {
		c.Latest = latestOf(s)
	}
	return nil
}

// latestOf is the summary of s a case record keeps: its text cut to
// MaxLatestRunes.
func latestOf(s *Source) *Source {
	l := *s
	l.Text = cutRunes(l.Text, MaxLatestRunes)
	return &l
}

// cutRunes returns s cut to at most n runes, marked with "…" when cut.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, count := 0, 0
	for i = range s {
		if count == n-1 {
			break
		}
		count++
	}
	return s[:i] + "…"
}

// AddSource records a message as a new source of an existing case: an
// edit of one of its messages (Kind SourceEdit), or an update the asker
// sent another way. It updates the stored case's SourceCount and Latest
// (nothing else) and returns the source as stored. The message index keeps
// pointing at the message's first source.
func (tx *Tx) AddSource(caseID int64, s Source) (Source, error) {
	c, err := tx.Case(caseID)
	if err != nil {
		return Source{}, fmt.Errorf("add source: %w", err)
	}
	old := *c
	if s.At.IsZero() {
		s.At = time.Now()
	}
	if err := tx.putSource(c, &s); err != nil {
		return Source{}, fmt.Errorf("add source: %w", err)
	}
	if err := tx.writeCase(&old, c); err != nil {
		return Source{}, fmt.Errorf("add source: %w", err)
	}
	return s, nil
}

// Sources returns every source of a case, oldest first.
func (tx *Tx) Sources(caseID int64) ([]Source, error) {
	return tx.SourcesPage(caseID, 0, 0)
}

// SourcesPage returns up to limit sources of a case (all when limit <= 0)
// whose sequence is after afterSeq, oldest first. Pass the last Seq of a
// page to get the next.
func (tx *Tx) SourcesPage(caseID int64, afterSeq uint64, limit int) ([]Source, error) {
	var out []Source
	prefix := idKey(caseID)
	cur := tx.b(bSources).Cursor()
	for k, v := cur.Seek(sourceKey(caseID, afterSeq+1)); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		var s Source
		if err := json.Unmarshal(v, &s); err != nil {
			return out, fmt.Errorf("decode source %x: %w", k, err)
		}
		out = append(out, s)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// SourcesNewest returns up to limit sources of a case whose sequence is
// before beforeSeq (0: from the newest), newest first: what a card or
// `/case N` shows when a case has more sources than fit.
func (tx *Tx) SourcesNewest(caseID int64, beforeSeq uint64, limit int) ([]Source, error) {
	var out []Source
	prefix := idKey(caseID)
	cur := tx.b(bSources).Cursor()
	var k, v []byte
	if beforeSeq == 0 {
		k, v = cur.Seek(idKey(caseID + 1))
	} else {
		k, v = cur.Seek(sourceKey(caseID, beforeSeq))
	}
	if k == nil {
		k, v = cur.Last()
	} else {
		k, v = cur.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Prev() {
		var s Source
		if err := json.Unmarshal(v, &s); err != nil {
			return out, fmt.Errorf("decode source %x: %w", k, err)
		}
		out = append(out, s)
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}

// SourceOfMessage returns the source a message became (its first, when it
// was also edited), or nil, nil when it is in no case.
func (tx *Tx) SourceOfMessage(k MessageKey) (*Source, error) {
	v := tx.b(bIdxMsg).Get(seenKey(k))
	if len(v) != 16 {
		return nil, nil
	}
	s := new(Source)
	ok, err := getJSON(tx.b(bSources), v, s)
	if err != nil {
		return nil, fmt.Errorf("message %s/%s: %w", k.Chat, k.ID, err)
	}
	if !ok {
		return nil, fmt.Errorf("message %s/%s: index points at missing source %x", k.Chat, k.ID, v)
	}
	return s, nil
}

// CaseOfMessage returns the case a message created or was merged into, or
// nil, nil when it is in no case.
func (tx *Tx) CaseOfMessage(k MessageKey) (*Case, error) {
	v := tx.b(bIdxMsg).Get(seenKey(k))
	if len(v) != 16 {
		return nil, nil
	}
	c, err := tx.Case(keyID(v))
	if err != nil {
		return nil, fmt.Errorf("message %s/%s: %w", k.Chat, k.ID, err)
	}
	return c, nil
}

// MergeSources copies every source of case dup to case into (a
// coordinator merging a duplicate), marked MovedFrom, and points their
// messages at into. dup keeps its own records, so its history still
// reads whole. It updates the stored cases (into's SourceCount and
// Latest) and returns how many sources were copied.
func (tx *Tx) MergeSources(dup, into int64) (int, error) {
	if dup == into {
		return 0, fmt.Errorf("merge sources of case #%d into itself", dup)
	}
	c, err := tx.Case(into)
	if err != nil {
		return 0, fmt.Errorf("merge sources: %w", err)
	}
	srcs, err := tx.Sources(dup)
	if err != nil {
		return 0, fmt.Errorf("merge sources: %w", err)
	}
	old := *c
	idx := tx.b(bIdxMsg)
	for _, s := range srcs {
		s.MovedFrom = dup
		if err := tx.putSource(c, &s); err != nil {
			return 0, fmt.Errorf("merge sources: %w", err)
		}
		if s.Chat != "" && s.Msg != "" {
			// A later edit of the message belongs to the merged case.
			if err := idx.Put(seenKey(MessageKey{Chat: s.Chat, ID: s.Msg}), sourceKey(c.ID, s.Seq)); err != nil {
				return 0, fmt.Errorf("merge sources: index message: %w", err)
			}
		}
	}
	if err := tx.writeCase(&old, c); err != nil {
		return 0, fmt.Errorf("merge sources: %w", err)
	}
	return len(srcs), nil
}

// Links returns the cases linked to a case (the newest MaxLinks).
func (tx *Tx) Links(caseID int64) ([]CaseLink, error) {
	c, err := tx.Case(caseID)
	if err != nil {
		return nil, fmt.Errorf("links: %w", err)
	}
	return c.Links, nil
}

// LinkCases links two cases both ways with a short reason ("same
// contact", "may be about"). Linking cases already linked replaces the
// reason. It writes no event: the caller records who linked them.
func (tx *Tx) LinkCases(a, b int64, reason string, at time.Time) error {
	if a == b {
		return fmt.Errorf("link case #%d to itself", a)
	}
	if at.IsZero() {
		at = time.Now()
	}
	for _, pair := range [][2]int64{{a, b}, {b, a}} {
		c, err := tx.Case(pair[0])
		if err != nil {
			return fmt.Errorf("link cases: %w", err)
		}
		if err := tx.addLink(c, CaseLink{Case: pair[1], Reason: reason, At: at}); err != nil {
			return err
		}
	}
	return nil
}

// addLink adds l to the stored case c and writes it.
func (tx *Tx) addLink(c *Case, l CaseLink) error {
	old := *c
	c.Links = withLink(c.Links, l)
	if err := tx.writeCase(&old, c); err != nil {
		return fmt.Errorf("link case #%d to #%d: %w", c.ID, l.Case, err)
	}
	return nil
}

// withLink returns links with l added last (replacing an earlier link to
// the same case), keeping the newest MaxLinks. It never changes the
// array links points to, which a caller's copy may share.
func withLink(links []CaseLink, l CaseLink) []CaseLink {
	out := make([]CaseLink, 0, min(len(links)+1, MaxLinks))
	for _, x := range links {
		if x.Case != l.Case {
			out = append(out, x)
		}
	}
	out = append(out, l)
	if len(out) > MaxLinks {
		out = out[len(out)-MaxLinks:]
	}
	return out
}

// sourceRef decodes an idx_msg value.
func sourceRef(v []byte) (caseID int64, seq uint64) {
	return keyID(v), binary.BigEndian.Uint64(v[8:])
}
