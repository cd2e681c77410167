package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

// ErrDamaged means the database file is damaged: cut short, or its pages
// no longer fit together. Open refuses it rather than crash later.
var ErrDamaged = errors.New("database file is damaged")

// defaultCheckTimeout bounds the consistency check at open. A check that
// runs out of time lets the file open (it found nothing wrong so far) and
// is logged.
const defaultCheckTimeout = 10 * time.Second

// bbolt's on-disk meta page (internal/common in bbolt, little-endian on
// every platform Lifeline runs on): a 16-byte page header, then magic,
// version, page size, flags, root bucket (root page, sequence), freelist
// page, high-water page id, txid and an FNV-64a checksum of what precedes
// it.
const (
	metaOffset   = 16
	metaMagic    = 0xED0CDAED
	metaVersion  = 2
	metaLen      = 64
	metaSumLen   = 56
	pgidNoFreeID = 0xffffffffffffffff
)

type diskMeta struct {
	pageSize             uint32
	root, freelist, pgid uint64
	txid                 uint64
	valid                bool
}

func readMeta(f *os.File, off int64) diskMeta {
	b := make([]byte, metaLen)
	if _, err := f.ReadAt(b, off+metaOffset); err != nil {
		return diskMeta{}
	}
	le := binary.LittleEndian
	h := fnv.New64a()
	h.Write(b[:metaSumLen])
	m := diskMeta{
		pageSize: le.Uint32(b[8:]),
		root:     le.Uint64(b[16:]),
		freelist: le.Uint64(b[32:]),
		pgid:     le.Uint64(b[40:]),
		txid:     le.Uint64(b[48:]),
	}
	m.valid = le.Uint32(b[0:]) == metaMagic && le.Uint32(b[4:]) == metaVersion && le.Uint64(b[56:]) == h.Sum64()
	return m
}

// newestMeta reads the two meta pages without mapping the file and
// returns the one bbolt would use (the valid one with the highest txid);
// ok is false when neither is valid, which bbolt reports itself.
func newestMeta(f *os.File) (m diskMeta, ok bool) {
	var metas []diskMeta
	if m0 := readMeta(f, 0); m0.valid {
		metas = append(metas, m0, readMeta(f, int64(m0.pageSize)))
	} else {
		// Meta 0 is damaged: find meta 1 the way bbolt does, at the
		// usual page sizes.
		for _, ps := range []int64{4096, int64(os.Getpagesize()), 8192, 16384, 32768, 65536} {
			if m1 := readMeta(f, ps); m1.valid && int64(m1.pageSize) == ps {
				metas = append(metas, m1)
				break
			}
		}
	}
	metas = slices.DeleteFunc(metas, func(m diskMeta) bool { return !m.valid })
	if len(metas) == 0 {
		return diskMeta{}, false
	}
	return slices.MaxFunc(metas, func(a, b diskMeta) int { return cmp.Compare(a.txid, b.txid) }), true
}

// inspect checks an existing file before bbolt maps it, reading it with
// plain reads so no damage can fault the process:
//   - the file is as long as its header says (bbolt would die of SIGBUS
//     reading the missing pages);
//   - every page of every bucket's tree is inside the file, of the right
//     type, referenced once (no cycles), with its elements inside the page
//     and its keys in order;
//   - the freelist is inside the file and frees no page in use (the next
//     write would overwrite live data).
//
// It stops at the time limit, logging how far it got: what it read was
// sound.
func inspect(ctx context.Context, path string, timeout time.Duration, log func(msg string, args ...any)) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // bbolt reports it, classified
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	m, ok := newestMeta(f)
	if !ok {
		return nil
	}
	switch {
	case m.pageSize < 512 || m.pageSize > 1<<20 || m.pageSize&(m.pageSize-1) != 0:
		return damaged("its header names a page size of %d bytes", m.pageSize)
	case m.pgid < 3 || m.root < 2 || m.root >= m.pgid || (m.freelist != pgidNoFreeID && (m.freelist < 2 || m.freelist >= m.pgid)):
		return damaged("its header points outside the file")
	}
	if need := int64(m.pgid) * int64(m.pageSize); fi.Size() < need {
		return damaged("the file is %d bytes but its header says %d (it was cut short: a full disk, a copy that did not finish)", fi.Size(), need)
	}
	if timeout <= 0 {
		timeout = defaultCheckTimeout
	}
	w := &walker{f: f, ps: int(m.pageSize), hwm: m.pgid, used: map[uint64]bool{0: true, 1: true}, deadline: time.Now().Add(timeout), ctx: ctx}
	err = w.tree(m.root, 0)
	if err == nil && m.freelist != pgidNoFreeID {
		err = w.freelist(m.freelist)
	}
	if errors.Is(err, errCheckTime) {
		log("consistency check stopped at its time limit; the part read was sound", "pages", len(w.used), "of", m.pgid, "limit", timeout)
		return nil
	}
	return err
}

var errCheckTime = errors.New("check time limit")

// bbolt page flags and element sizes.
const (
	branchPage     = 0x01
	leafPage       = 0x02
	freelistPage   = 0x10
	bucketLeafFlag = 0x01
	pageHeaderLen  = 16
	elemLen        = 16
	bucketHdrLen   = 16
	maxTreeDepth   = 64
)

// walker reads a bbolt file's pages with plain reads.
type walker struct {
	f        *os.File
	ps       int
	hwm      uint64
	used     map[uint64]bool
	deadline time.Time
	ctx      context.Context
}

func damaged(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDamaged, fmt.Sprintf(format, args...))
}

// page reads page id and its overflow pages, checking the header.
func (w *walker) page(id uint64) ([]byte, error) {
	if len(w.used)%256 == 0 {
		if err := w.ctx.Err(); err != nil {
			return nil, err
		}
		if time.Now().After(w.deadline) {
			return nil, errCheckTime
		}
	}
	if id < 2 || id >= w.hwm {
		return nil, damaged("page %d is outside the file (%d pages)", id, w.hwm)
	}
	le := binary.LittleEndian
	head := make([]byte, pageHeaderLen)
	if _, err := w.f.ReadAt(head, int64(id)*int64(w.ps)); err != nil {
		return nil, damaged("page %d: %v", id, err)
	}
	if got := le.Uint64(head); got != id {
		return nil, damaged("page %d says it is page %d", id, got)
	}
	overflow := uint64(le.Uint32(head[12:]))
	if id+overflow >= w.hwm {
		return nil, damaged("page %d runs past the end of the file", id)
	}
	for i := id; i <= id+overflow; i++ {
		if w.used[i] {
			return nil, damaged("page %d is used twice", i)
		}
		w.used[i] = true
	}
	b := make([]byte, int(overflow+1)*w.ps)
	if _, err := w.f.ReadAt(b, int64(id)*int64(w.ps)); err != nil {
		return nil, damaged("page %d: %v", id, err)
	}
	return b, nil
}

// tree checks the B+tree rooted at page id.
func (w *walker) tree(id uint64, depth int) error {
	if depth > maxTreeDepth {
		return damaged("page %d: tree too deep", id)
	}
	b, err := w.page(id)
	if err != nil {
		return err
	}
	return w.nodes(b, id, depth)
}

// nodes checks one branch or leaf page held in b: a page read from the
// file, or an inline bucket's page inside a value.
func (w *walker) nodes(b []byte, id uint64, depth int) error {
	le := binary.LittleEndian
	flags, count := le.Uint16(b[8:]), int(le.Uint16(b[10:]))
	if flags != branchPage && flags != leafPage {
		return damaged("page %d has type %#x where the tree needs a branch or leaf", id, flags)
	}
	if pageHeaderLen+count*elemLen > len(b) {
		return damaged("page %d: %d elements do not fit", id, count)
	}
	var prev []byte
	for i := range count {
		e := pageHeaderLen + i*elemLen
		var pos, ksize, vsize uint64
		if flags == branchPage {
			pos, ksize = uint64(le.Uint32(b[e:])), uint64(le.Uint32(b[e+4:]))
		} else {
			pos, ksize, vsize = uint64(le.Uint32(b[e+4:])), uint64(le.Uint32(b[e+8:])), uint64(le.Uint32(b[e+12:]))
		}
		start := uint64(e) + pos
		if start+ksize+vsize > uint64(len(b)) {
			return damaged("page %d: element %d points outside the page", id, i)
		}
		key := b[start : start+ksize]
		if prev != nil && bytes.Compare(prev, key) >= 0 {
			return damaged("page %d: keys out of order", id)
		}
		prev = key
		switch {
		case flags == branchPage:
			if err := w.tree(le.Uint64(b[e+8:]), depth+1); err != nil {
				return err
			}
		case le.Uint32(b[e:])&bucketLeafFlag != 0:
			v := b[start+ksize : start+ksize+vsize]
			if len(v) < bucketHdrLen {
				return damaged("page %d: bucket %q has a short header", id, key)
			}
			if root := le.Uint64(v); root != 0 {
				if err := w.tree(root, depth+1); err != nil {
					return err
				}
			} else if inline := v[bucketHdrLen:]; len(inline) > 0 {
				if len(inline) < pageHeaderLen || le.Uint16(inline[8:]) != leafPage {
					return damaged("page %d: bucket %q is damaged", id, key)
				}
				if err := w.nodes(inline, id, depth+1); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// freelist checks that the free pages are inside the file and that none
// of them is in use.
func (w *walker) freelist(id uint64) error {
	b, err := w.page(id)
	if err != nil {
		return err
	}
	le := binary.LittleEndian
	if t := le.Uint16(b[8:]); t != freelistPage {
		return damaged("page %d should be the freelist but has type %#x", id, t)
	}
	n, at := uint64(le.Uint16(b[10:])), uint64(pageHeaderLen)
	if n == 0xFFFF { // a long freelist keeps its count in its first entry
		n, at = le.Uint64(b[pageHeaderLen:]), pageHeaderLen+8
	}
	if n > uint64(len(b))/8 || at+n*8 > uint64(len(b)) {
		return damaged("freelist page %d: %d entries do not fit", id, n)
	}
	for i := range n {
		free := le.Uint64(b[at+i*8:])
		if free < 2 || free >= w.hwm {
			return damaged("freelist frees page %d, outside the file", free)
		}
		if w.used[free] {
			return damaged("freelist frees page %d, which holds data (the next write would overwrite it)", free)
		}
	}
	return nil
}

// protect runs fn so that a damaged file cannot crash the process: a
// memory fault on the mapped file and a bbolt panic (bbolt panics on some
// damaged pages) both become an ErrDamaged error.
func protect(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: reading it failed (%v)", ErrDamaged, p)
		}
	}()
	return fn()
}

// damagedError names the file, what is wrong, and how to recover: the
// newest backup found next to it, if any.
func damagedError(path string, err error) error {
	var b strings.Builder
	fmt.Fprintf(&b, "open store %s: %v.\nThe bot will not start on it, so nothing it acknowledges can be lost in it. To recover:\n", path, err)
	fmt.Fprintf(&b, "  1. keep the damaged file for later: mv %s %s.damaged\n", path, path)
	dir := filepath.Join(filepath.Dir(path), "backups")
	if newest := newestBackup(dir); newest != "" {
		fmt.Fprintf(&b, "  2. restore the newest backup: cp %s %s\n", newest, path)
	} else {
		fmt.Fprintf(&b, "  2. copy your newest backup (from data_dir/backups/, backup.dir, or one made with `lifeline backup`) to %s\n", path)
	}
	b.WriteString("  3. start the bot again; messages after that backup must be re-entered (check the chats)")
	return &openError{msg: b.String(), err: err}
}

type openError struct {
	msg string
	err error
}

func (e *openError) Error() string { return e.msg }
func (e *openError) Unwrap() error { return e.err }

// newestBackup returns the newest lifeline-*.db in dir ("" when none).
func newestBackup(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	var newest string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "lifeline-") && strings.HasSuffix(e.Name(), ".db") && e.Name() > newest {
			newest = e.Name()
		}
	}
	if newest == "" {
		return ""
	}
	return filepath.Join(dir, newest)
}
