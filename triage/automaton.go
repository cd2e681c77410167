package triage

import (
	"sort"
	"unicode/utf8"
)

// automaton is an Aho-Corasick matcher over the runes of normalised text,
// stored as a double array: the child of state s on rune code k sits in
// slot slots[s].base+k when that slot's check is s. A dense [256]-entry
// row per state (the usual byte layout) costs 2 KB a state, tens of
// megabytes for a lexicon of a few thousand patterns, and every byte of a
// message then misses the cache; the double array holds the trie in about
// 16 bytes a state, and stepping by rune rather than by byte takes one
// step per Han character instead of three. The cost per character stays
// flat as the lexicon grows.
//
// Matches are reported exactly as a byte-wise Aho-Corasick automaton
// does (valid UTF-8 on both sides, which the normaliser guarantees, makes
// every byte match fall on rune boundaries): for each end position in text
// order, every pattern ending there, longest first. Engine code relies on
// that order (dropShadowed, first pattern per signal).
type automaton struct {
	// ascii and pages map a rune to its alphabet code 1..n; 0 means no
	// pattern contains the rune, so no match can span it. pages holds
	// one 256-entry page per block of the Basic Multilingual Plane that
	// any pattern uses (page 0 is all zero); astral runes are searched in
	// astral.
	ascii     [utf8.RuneSelf]int32
	pageIndex [256]uint16
	pages     [][256]int32
	astral    []astralCode
	slots     []acSlot
	// root is the root's row by code: the child's slot, 0 for none.
	root []int32
	// outs is indexed by pattern number: its length in bytes and the next
	// shorter pattern ending at the same place (-1: none).
	outs []acOut
}

type astralCode struct{ r, code int32 }

type acSlot struct {
	base  int32 // children sit at base+code
	check int32 // parent slot; -1 for a free slot (and the root)
	fail  int32 // slot of the longest proper suffix in the trie
	out   int32 // longest pattern ending in this state, -1 for none
}

type acOut struct{ n, next int32 }

// runeCode is the alphabet code of r, 0 when no pattern contains it.
func (a *automaton) runeCode(r rune) int32 {
	if r < utf8.RuneSelf {
		return a.ascii[r]
	}
	if r < 0x10000 {
		return a.pages[a.pageIndex[r>>8]][r&0xFF]
	}
	i := sort.Search(len(a.astral), func(i int) bool { return a.astral[i].r >= r })
	if i < len(a.astral) && a.astral[i].r == r {
		return a.astral[i].code
	}
	return 0
}

// buildAutomaton compiles patterns; pattern i is reported as number i.
// Patterns must be distinct, non-empty and valid UTF-8.
func buildAutomaton(patterns []string) *automaton {
	a := &automaton{outs: make([]acOut, len(patterns)), pages: make([][256]int32, 1)}

	// Alphabet: only runes that occur in patterns get a code, in rune
	// order, so rows stay short.
	seen := map[rune]bool{}
	for _, p := range patterns {
		for _, r := range p {
			seen[r] = true
		}
	}
	alphabet := make([]rune, 0, len(seen))
	for r := range seen {
		alphabet = append(alphabet, r)
	}
	sort.Slice(alphabet, func(i, j int) bool { return alphabet[i] < alphabet[j] })
	nCodes := int32(len(alphabet))
	for i, r := range alphabet {
		code := int32(i + 1)
		switch {
		case r < utf8.RuneSelf:
			a.ascii[r] = code
		case r < 0x10000:
			if a.pageIndex[r>>8] == 0 {
				a.pageIndex[r>>8] = uint16(len(a.pages))
				a.pages = append(a.pages, [256]int32{})
			}
			a.pages[a.pageIndex[r>>8]][r&0xFF] = code
		default:
			a.astral = append(a.astral, astralCode{r, code})
		}
	}

	// A plain trie first: node 0 is the root.
	type edge struct {
		code  int32
		child int32
	}
	children := [][]edge{nil}
	pat := []int32{-1}
	index := map[uint64]int32{}
	for pi, p := range patterns {
		n := int32(0)
		for _, r := range p {
			k := a.runeCode(r)
			key := uint64(n)<<32 | uint64(k)
			next, ok := index[key]
			if !ok {
				next = int32(len(children))
				index[key] = next
				children = append(children, nil)
				pat = append(pat, -1)
				children[n] = append(children[n], edge{k, next})
			}
			n = next
		}
		pat[n] = int32(pi)
		a.outs[pi].n = int32(len(p))
	}
	for _, ch := range children {
		sort.Slice(ch, func(i, j int) bool { return ch[i].code < ch[j].code })
	}

	// Place the trie in the double array breadth first. A node's children
	// need a base where all their slots are free; the search starts at the
	// first free slot, which keeps the array dense.
	slotOf := make([]int32, len(children))
	slots := make([]acSlot, 1, len(children)*5/4+int(nCodes)+1)
	slots[0] = acSlot{check: -1, out: -1}
	grow := func(n int) {
		for len(slots) < n {
			slots = append(slots, acSlot{check: -1, out: -1})
		}
	}
	firstFree := 1
	order := make([]int32, 0, len(children)) // trie nodes, breadth first
	order = append(order, 0)
	for qi := 0; qi < len(order); qi++ {
		n := order[qi]
		ch := children[n]
		if len(ch) == 0 {
			continue
		}
		for firstFree < len(slots) && slots[firstFree].check >= 0 {
			firstFree++
		}
		first := ch[0].code
		pos := max(firstFree, int(first))
		var base int
		for {
			grow(pos + 1)
			if slots[pos].check < 0 && pos != 0 {
				base = pos - int(first)
				ok := true
				for _, e := range ch[1:] {
					t := base + int(e.code)
					if t < len(slots) && slots[t].check >= 0 {
						ok = false
						break
					}
				}
				if ok {
					break
				}
			}
			pos++
		}
		s := slotOf[n]
		slots[s].base = int32(base)
		grow(base + int(ch[len(ch)-1].code) + 1)
		for _, e := range ch {
			t := int32(base) + e.code
			slots[t].check = s
			slotOf[e.child] = t
			order = append(order, e.child)
		}
	}
	// Every lookup base+code must stay in bounds, leaves included (their
	// base is 0).
	maxBase := int32(0)
	for _, sl := range slots {
		maxBase = max(maxBase, sl.base)
	}
	grow(int(maxBase + nCodes + 1))

	// Failure links and output chains, breadth first so a node's suffix
	// is done before the node.
	step := func(s, k int32) int32 {
		if t := slots[s].base + k; slots[t].check == s {
			return t
		}
		return -1
	}
	for _, n := range order {
		s := slotOf[n]
		if n != 0 {
			if p := pat[n]; p >= 0 {
				a.outs[p].next = slots[slots[s].fail].out
				slots[s].out = p
			} else {
				slots[s].out = slots[slots[s].fail].out
			}
		}
		for _, e := range children[n] {
			t := slotOf[e.child]
			f := int32(0)
			if n != 0 {
				for f = slots[s].fail; ; f = slots[f].fail {
					if g := step(f, e.code); g >= 0 {
						f = g
						break
					}
					if f == 0 {
						break
					}
				}
			}
			slots[t].fail = f
		}
	}
	a.slots = slots
	a.root = make([]int32, nCodes+1)
	for _, e := range children[0] {
		a.root[e.code] = slotOf[e.child]
	}
	return a
}

// Walk calls fn for every match in input: the index of its last byte, its
// length in bytes and its pattern number, in order of the end and then
// longest first. It stops when fn returns false. input must be valid
// UTF-8, as normalised text is.
func (a *automaton) Walk(input []byte, fn func(end, n, pat int64) bool) {
	slots := a.slots
	s := int32(0)
	for i := 0; i < len(input); {
		var k int32
		if c := input[i]; c < utf8.RuneSelf {
			k = a.ascii[c]
			i++
		} else {
			r, size := decodeNorm(input, i) // input is normalised text
			k = a.runeCode(r)
			i += size
		}
		if k == 0 {
			s = 0
			continue
		}
		// Most steps start at the root or fail back to it: its row is
		// a plain array, one load without a check.
		var t int32
		if s == 0 {
			t = a.root[k]
		} else if t = slots[s].base + k; slots[t].check != s {
			for s = slots[s].fail; s != 0; s = slots[s].fail {
				if t = slots[s].base + k; slots[t].check == s {
					break
				}
			}
			if s == 0 {
				t = a.root[k]
			}
		}
		s = t
		for p := slots[s].out; p >= 0; p = a.outs[p].next {
			if !fn(int64(i-1), int64(a.outs[p].n), int64(p)) {
				return
			}
		}
	}
}
