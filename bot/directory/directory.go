// Package directory is the channels directory: places and people who can
// help (hospitals, dialysis centres, pharmacies, pet fosters,
// neighbourhood committees, hotlines). The channel team keeps it in a CSV
// file loaded at start; coordinators edit it from chat; each case card
// lists the best matches, /find searches it, and non-urgent pleas in intake
// groups may get matching entries as an automatic reply.
package directory

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/deeplink"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/bot/sheets"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// catAny marks an entry that helps with any request (a hotline).
const catAny triage.Category = "*"

// dirWords maps common category words, English and Chinese, to the triage
// categories an entry can help with. Categories in the file are free words,
// so this is what lets "透析中心" match a dialysis case.
var dirWords = []struct {
	word string
	cats []triage.Category
}{
	{"hospital", []triage.Category{triage.CatMedicalEmergency, triage.CatCancer, triage.CatMaternalInfant}},
	{"医院", []triage.Category{triage.CatMedicalEmergency, triage.CatCancer, triage.CatMaternalInfant}},
	{"clinic", []triage.Category{triage.CatMedicalEmergency}},
	{"诊所", []triage.Category{triage.CatMedicalEmergency}},
	{"emergency", []triage.Category{triage.CatMedicalEmergency}},
	{"急诊", []triage.Category{triage.CatMedicalEmergency}},
	{"急救", []triage.Category{triage.CatMedicalEmergency}},
	{"ambulance", []triage.Category{triage.CatMedicalEmergency, triage.CatTransport}},
	{"dialysis", []triage.Category{triage.CatDialysis}},
	{"透析", []triage.Category{triage.CatDialysis}},
	{"血透", []triage.Category{triage.CatDialysis}},
	{"pharmacy", []triage.Category{triage.CatChronicMedicine}},
	{"drugstore", []triage.Category{triage.CatChronicMedicine}},
	{"medicine", []triage.Category{triage.CatChronicMedicine}},
	{"药店", []triage.Category{triage.CatChronicMedicine}},
	{"药房", []triage.Category{triage.CatChronicMedicine}},
	{"配药", []triage.Category{triage.CatChronicMedicine}},
	{"cancer", []triage.Category{triage.CatCancer}},
	{"oncology", []triage.Category{triage.CatCancer}},
	{"肿瘤", []triage.Category{triage.CatCancer}},
	{"化疗", []triage.Category{triage.CatCancer}},
	{"maternity", []triage.Category{triage.CatMaternalInfant}},
	{"paediatric", []triage.Category{triage.CatMaternalInfant}},
	{"pediatric", []triage.Category{triage.CatMaternalInfant}},
	{"妇产", []triage.Category{triage.CatMaternalInfant}},
	{"产科", []triage.Category{triage.CatMaternalInfant}},
	{"母婴", []triage.Category{triage.CatMaternalInfant}},
	{"儿科", []triage.Category{triage.CatMaternalInfant}},
	{"mental", []triage.Category{triage.CatMentalHealth}},
	{"psycholog", []triage.Category{triage.CatMentalHealth}},
	{"心理", []triage.Category{triage.CatMentalHealth}},
	{"pet", []triage.Category{triage.CatPet}},
	{"vet", []triage.Category{triage.CatPet}},
	{"宠物", []triage.Category{triage.CatPet}},
	{"兽医", []triage.Category{triage.CatPet}},
	{"food", []triage.Category{triage.CatFoodSupplies}},
	{"grocer", []triage.Category{triage.CatFoodSupplies}},
	{"supplies", []triage.Category{triage.CatFoodSupplies}},
	{"物资", []triage.Category{triage.CatFoodSupplies}},
	{"食物", []triage.Category{triage.CatFoodSupplies}},
	{"团购", []triage.Category{triage.CatFoodSupplies}},
	{"买菜", []triage.Category{triage.CatFoodSupplies}},
	{"保供", []triage.Category{triage.CatFoodSupplies}},
	{"neighbourhood committee", []triage.Category{triage.CatOther, triage.CatElderlyAlone, triage.CatInformation}},
	{"neighborhood committee", []triage.Category{triage.CatOther, triage.CatElderlyAlone, triage.CatInformation}},
	{"居委", []triage.Category{triage.CatOther, triage.CatElderlyAlone, triage.CatInformation}},
	{"村委", []triage.Category{triage.CatOther, triage.CatElderlyAlone, triage.CatInformation}},
	{"社区", []triage.Category{triage.CatOther, triage.CatElderlyAlone, triage.CatInformation}},
	{"街道", []triage.Category{triage.CatOther, triage.CatElderlyAlone, triage.CatInformation}},
	{"elderly", []triage.Category{triage.CatElderlyAlone}},
	{"disab", []triage.Category{triage.CatElderlyAlone}},
	{"养老", []triage.Category{triage.CatElderlyAlone}},
	{"助老", []triage.Category{triage.CatElderlyAlone}},
	{"助残", []triage.Category{triage.CatElderlyAlone}},
	{"transport", []triage.Category{triage.CatTransport}},
	{"driver", []triage.Category{triage.CatTransport}},
	{"接送", []triage.Category{triage.CatTransport}},
	{"车队", []triage.Category{triage.CatTransport}},
	{"rescue", []triage.Category{triage.CatRescue}},
	{"救援", []triage.Category{triage.CatRescue}},
	{"消防", []triage.Category{triage.CatRescue}},
	{"shelter", []triage.Category{triage.CatShelter}},
	{"安置", []triage.Category{triage.CatShelter}},
	{"庇护", []triage.Category{triage.CatShelter}},
	{"information", []triage.Category{triage.CatInformation}},
	{"咨询", []triage.Category{triage.CatInformation}},
	{"hotline", []triage.Category{catAny}},
	{"热线", []triage.Category{catAny}},
}

// entryCategories are the triage categories a free-text directory
// category helps with (catAny for hotlines).
func entryCategories(category string) []triage.Category {
	text := strings.ToLower(category)
	var out []triage.Category
	add := func(cs ...triage.Category) {
		for _, c := range cs {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	for _, w := range dirWords {
		if containsWord(text, w.word) {
			add(w.cats...)
		}
	}
	// A category written as a triage name or label ("dialysis", "慢病用药")
	// maps to itself.
	for _, tok := range strings.FieldsFunc(text, isSeparator) {
		if c, ok := i18n.ParseCategory(tok); ok {
			add(c)
		}
		for _, c := range i18n.Categories {
			if tok == i18n.T("en", "cat:"+string(c)) || tok == i18n.T("zh", "cat:"+string(c)) {
				add(c)
			}
		}
	}
	return out
}

// containsWord reports whether lower-case text contains word; an ASCII word
// must start at a word boundary so that "pet" does not match "carpet".
func containsWord(text, word string) bool {
	if !isASCII(word) {
		return strings.Contains(text, word)
	}
	for i := 0; ; {
		j := strings.Index(text[i:], word)
		if j < 0 {
			return false
		}
		at := i + j
		if at == 0 || !isASCIILetter(text[at-1]) {
			return true
		}
		i = at + 1
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isASCIILetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

func isSeparator(r rune) bool {
	return strings.ContainsRune(" ,;/|、，；·()（）", r)
}

// closedWords in an entry's status mean it can't take anyone now.
var closedWords = []string{"closed", "full", "suspended", "paused", "not accepting", "unavailable",
	"关闭", "已关", "停诊", "停业", "暂停", "已满", "满员", "不接收", "无法接收"}

func entryClosed(d *store.DirEntry) bool {
	s := strings.ToLower(d.Status)
	for _, w := range closedWords {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// districtStem drops the administrative suffix so "浦东新区" matches a
// plea that says "浦东川沙" and "Pudong District" matches "pudong".
func districtStem(d string) string {
	d = strings.ToLower(strings.TrimSpace(d))
	for _, suf := range []string{" district", " county", "新区", "街道", "区", "县", "镇", "市"} {
		if s := strings.TrimSuffix(d, suf); s != d && utf8.RuneCountInString(s) >= 2 {
			return s
		}
	}
	return d
}

// districtMatches reports whether any district named in an entry appears in
// the lower-case text about a case.
func districtMatches(district, haystack string) bool {
	for _, part := range strings.FieldsFunc(district, isSeparator) {
		if stem := districtStem(part); utf8.RuneCountInString(stem) >= 2 && strings.Contains(haystack, stem) {
			return true
		}
	}
	return false
}

// caseWhere is the lower-case text that says where a case is.
func caseWhere(c *store.Case) string {
	return strings.ToLower(strings.Join(c.Assessment.Places, " ") + " " + c.Address + " " + c.Text)
}

// maxCardMatches is how many entries a case card lists: a card is read in
// a hurry, so only the best few.
const maxCardMatches = 3

// Matches are the best directory entries for a case (category and
// district), listed on its card. Entries must help with the case's
// category (or with anything, like a hotline); those in the case's district
// come first, then city-wide ones; closed or full entries are left out.
func Matches(tx *store.Tx, c *store.Case) ([]store.DirEntry, error) {
	want := c.Category
	if want == triage.CatNone {
		want = triage.CatOther
	}
	where := caseWhere(c)
	type scored struct {
		d     store.DirEntry
		score int
	}
	var found []scored
	err := tx.ForEachDirEntry(func(d *store.DirEntry) error {
		if entryClosed(d) {
			return nil
		}
		cats := entryCategories(d.Category)
		score := 0
		switch {
		case slices.Contains(cats, want):
			score = 4
		case slices.Contains(cats, catAny):
			score = 1
		default:
			return nil
		}
		switch {
		case d.District == "":
			score++ // serves the whole city
		case districtMatches(d.District, where):
			score += 3
		}
		found = append(found, scored{*d, score})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read directory: %w", err)
	}
	slices.SortStableFunc(found, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	var out []store.DirEntry
	for _, s := range found[:min(len(found), maxCardMatches)] {
		out = append(out, s.d)
	}
	return out, nil
}

// Line shows one entry in /find and /dir answers.
func Line(d *store.DirEntry) string {
	parts := []string{fmt.Sprintf("[%d] %s", d.ID, d.Name)}
	for _, p := range []string{d.Category, d.District, d.Phone, d.Hours, d.Status, cards.Clip(d.Notes, 80)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " · ")
}

// maxFindResults bounds a /find answer so it stays readable in a chat.
const maxFindResults = 8

// findWord is one /find word with what it can match: itself, its district
// stem ("浦东新区" → "浦东") and the categories it names in any language.
type findWord struct {
	text, stem string
	cats       []triage.Category
}

func newFindWord(w string) findWord {
	fw := findWord{text: strings.ToLower(w)}
	if stem := districtStem(fw.text); utf8.RuneCountInString(stem) >= 2 {
		fw.stem = stem
	}
	for _, c := range entryCategories(fw.text) {
		if c != catAny { // "hotline" is found by its text, not as "anything"
			fw.cats = append(fw.cats, c)
		}
	}
	return fw
}

// matches reports whether the word finds an entry with this lower-case
// text and these categories.
func (w findWord) matches(text string, cats []triage.Category) bool {
	if strings.Contains(text, w.text) || w.stem != "" && strings.Contains(text, w.stem) {
		return true
	}
	for _, c := range w.cats {
		if slices.Contains(cats, c) {
			return true
		}
	}
	return false
}

// Found is the answer to a directory search.
type Found struct {
	// Entries match at least one word: those matching more words first,
	// closed ones last.
	Entries []store.DirEntry
	// Total is the number of entries in the directory.
	Total int
	// Categories are the directory's categories, to suggest on a miss.
	Categories []string
}

// Search looks for every word in the name, category, district, hours and
// notes of each entry; category words match across languages ("透析" finds
// an entry filed as "dialysis centre").
func Search(tx *store.Tx, query []string) (Found, error) {
	words := make([]findWord, len(query))
	for i, a := range query {
		words[i] = newFindWord(a)
	}
	type scored struct {
		d      store.DirEntry
		score  int
		closed bool
	}
	var (
		found []scored
		res   Found
	)
	err := tx.ForEachDirEntry(func(d *store.DirEntry) error {
		res.Total++
		if !slices.Contains(res.Categories, d.Category) {
			res.Categories = append(res.Categories, d.Category)
		}
		text := strings.ToLower(strings.Join([]string{d.Name, d.Category, d.District, d.Notes, d.Hours}, " "))
		entryCats := entryCategories(d.Category)
		score := 0
		for _, w := range words {
			if w.matches(text, entryCats) {
				score++
			}
		}
		if score > 0 {
			found = append(found, scored{*d, score, entryClosed(d)})
		}
		return nil
	})
	if err != nil {
		return Found{}, fmt.Errorf("search directory: %w", err)
	}
	slices.SortStableFunc(found, func(a, b scored) int {
		if a.closed != b.closed {
			if a.closed {
				return 1
			}
			return -1
		}
		return cmp.Compare(b.score, a.score)
	})
	for _, f := range found {
		res.Entries = append(res.Entries, f.d)
	}
	return res, nil
}

// Entry finds the entry numbered id; nil when there is none.
func Entry(tx *store.Tx, id int64) (*store.DirEntry, error) {
	var found *store.DirEntry
	err := tx.ForEachDirEntry(func(d *store.DirEntry) error {
		if d.ID == id {
			found = d
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read directory: %w", err)
	}
	return found, nil
}

// Same finds an entry for the same place as d (see Key); nil when there
// is none.
func Same(tx *store.Tx, d *store.DirEntry) (*store.DirEntry, error) {
	var dup *store.DirEntry
	err := tx.ForEachDirEntry(func(x *store.DirEntry) error {
		if x.ID != d.ID && Key(x) == Key(d) {
			dup = x
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read directory: %w", err)
	}
	return dup, nil
}

// Key identifies an entry for upserts: the same place may appear in
// several districts (branches), but once per district.
func Key(d *store.DirEntry) string {
	return strings.ToLower(strings.TrimSpace(d.Name)) + "\x00" + strings.ToLower(strings.TrimSpace(d.District))
}

// dirColumns are the columns of the directory file, in the documented
// order; name and category are required.
var dirColumns = []string{"name", "category", "district", "phone", "hours", "status", "notes"}

// dirHeaderZh are the Chinese headers the channel team may use instead.
var dirHeaderZh = map[string]string{
	"名称": "name", "机构": "name", "机构名称": "name", "单位": "name", "单位名称": "name",
	"类别": "category", "类型": "category", "分类": "category",
	"区": "district", "地区": "district", "区域": "district", "所在区": "district", "地址": "district",
	"电话": "phone", "联系电话": "phone", "联系方式": "phone",
	"时间": "hours", "营业时间": "hours", "开放时间": "hours", "服务时间": "hours",
	"状态": "status",
	"备注": "notes", "说明": "notes",
}

// dirRow is one parsed line of the directory file.
type dirRow struct {
	entry store.DirEntry
	line  int
	hash  string
}

// readDirectoryFile parses the directory CSV. Errors name the file, the
// line and the problem, because the channel team edits this file by hand
// (often in Excel or WPS, which add a BOM and may save in GBK).
func readDirectoryFile(path string) ([]dirRow, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("directory file %s: %w", path, err)
	}
	if text, err := sheets.Decode(data); err == nil {
		// Excel and WPS on a Chinese Windows save "CSV" in GBK.
		data = []byte(text)
	} else {
		data = bytes.TrimPrefix(data, []byte("\ufeff"))
		line := 1
		for len(data) > 0 {
			r, size := utf8.DecodeRune(data)
			if r == utf8.RuneError && size <= 1 {
				break
			}
			if r == '\n' {
				line++
			}
			data = data[size:]
		}
		return nil, fmt.Errorf("directory file %s: line %d: not UTF-8 or GBK text (save it as \"CSV UTF-8\")", path, line)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.TrimLeadingSpace = true
	// Hand-edited files often leave out trailing empty cells; those rows
	// are padded below, while a row with too many cells is an error.
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("directory file %s: empty; want a header line %s", path, strings.Join(dirColumns, ","))
	}
	if err != nil {
		return nil, fmt.Errorf("directory file %s: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if en, ok := dirHeaderZh[h]; ok {
			h = en
		}
		if !slices.Contains(dirColumns, h) {
			return nil, fmt.Errorf("directory file %s: line 1: unknown column %q (want %s)", path, h, strings.Join(dirColumns, ","))
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("directory file %s: line 1: column %q appears twice", path, h)
		}
		col[h] = i
	}
	for _, need := range dirColumns[:2] {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("directory file %s: line 1: no %q column (want %s)", path, need, strings.Join(dirColumns, ","))
		}
	}
	var rows []dirRow
	firstLine := map[string]int{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// csv.ParseError already says "record on line N: problem".
			return nil, fmt.Errorf("directory file %s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) > len(header) {
			return nil, fmt.Errorf("directory file %s: line %d: %d cells, but the header has %d columns (a comma inside a cell needs quotes)", path, line, len(rec), len(header))
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		d := store.DirEntry{Name: get("name"), Category: get("category"), District: get("district"),
			Phone: get("phone"), Hours: get("hours"), Status: get("status"), Notes: get("notes")}
		if d.Name == "" && d.Category == "" && d.District == "" && d.Phone == "" && d.Notes == "" {
			continue // a blank row left by a spreadsheet
		}
		if d.Name == "" {
			return nil, fmt.Errorf("directory file %s: line %d: empty name", path, line)
		}
		if d.Category == "" {
			return nil, fmt.Errorf("directory file %s: line %d: %s has no category", path, line, d.Name)
		}
		k := Key(&d)
		if prev, dup := firstLine[k]; dup {
			return nil, fmt.Errorf("directory file %s: line %d: %s in %q is already on line %d", path, line, d.Name, d.District, prev)
		}
		firstLine[k] = line
		h := fnv.New64a()
		for _, f := range []string{d.Name, d.Category, d.District, d.Phone, d.Hours, d.Status, d.Notes} {
			h.Write([]byte(f))
			h.Write([]byte{0})
		}
		rows = append(rows, dirRow{entry: d, line: line, hash: strconv.FormatUint(h.Sum64(), 16)})
	}
	return rows, nil
}

// dirFileKey remembers the file row an entry was last loaded from, so a
// restart with an unchanged row keeps the edits coordinators made in chat
// (a status like "full"), while a row the channel team changed wins.
func dirFileKey(id int64) string { return "dirfile:" + strconv.FormatInt(id, 10) }

// Options configure the directory.
type Options struct {
	// File is a CSV (name,category,district,phone,hours,status,notes)
	// loaded into the directory at start.
	File string
	// AutoReply answers non-urgent requests in intake groups with matching
	// entries, at most once per AutoReplyEvery per group.
	AutoReply      bool
	AutoReplyEvery time.Duration
}

// Directory loads the directory file and sends automatic replies.
type Directory struct {
	env  *env.Env
	opts Options
	// seen is the file's modification time and size at the last load, so
	// Reload notices an edit.
	mu   sync.Mutex
	seen fileStamp
}

// fileStamp tells one version of a file from the next.
type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{fi.ModTime(), fi.Size()}, nil
}

// Reload loads the directory file again when it changed since the last
// load (by modification time and size), so the channel team's edits
// arrive without a restart. A file that fails to read keeps the loaded
// entries and is retried at the next change.
func (dir *Directory) Reload(ctx context.Context) (bool, error) {
	if dir.opts.File == "" {
		return false, nil
	}
	st, err := stampOf(dir.opts.File)
	if err != nil {
		return false, fmt.Errorf("directory file: %w", err)
	}
	dir.mu.Lock()
	same := st == dir.seen
	dir.mu.Unlock()
	if same {
		return false, nil
	}
	err = dir.Load(ctx)
	// Remember this version even when it is broken: the error is logged
	// once, not every poll.
	dir.mu.Lock()
	dir.seen = st
	dir.mu.Unlock()
	return err == nil, err
}

// Watch polls the directory file every period and reloads it on change
// until ctx is done.
func (dir *Directory) Watch(ctx context.Context, period time.Duration) {
	if dir.opts.File == "" {
		return
	}
	dir.env.Every(ctx, period, "directory file not reloaded; the loaded entries stay", func(ctx context.Context) error {
		_, err := dir.Reload(ctx)
		return err
	})
}

// New makes the directory's file loader and auto-replier.
func New(e *env.Env, o Options) *Directory { return &Directory{env: e, opts: o} }

// Load upserts the directory file's rows into the store, by name and
// district, so restarting never duplicates entries. Entries no longer in
// the file are kept: they may have been added from chat.
func (dir *Directory) Load(ctx context.Context) error {
	path := dir.opts.File
	if path == "" {
		return nil
	}
	st, _ := stampOf(path)
	rows, err := readDirectoryFile(path)
	if err != nil {
		return err
	}
	dir.mu.Lock()
	dir.seen = st
	dir.mu.Unlock()
	now := dir.env.Now()
	var added, changed int
	err = dir.env.Store.Update(ctx, func(tx *store.Tx) error {
		existing := map[string]*store.DirEntry{}
		if err := tx.ForEachDirEntry(func(d *store.DirEntry) error {
			existing[Key(d)] = d
			return nil
		}); err != nil {
			return fmt.Errorf("read directory: %w", err)
		}
		for _, row := range rows {
			d := row.entry
			d.Updated = now
			if old := existing[Key(&d)]; old != nil {
				prev, err := tx.GetState(dirFileKey(old.ID))
				if err != nil {
					return err
				}
				if string(prev) == row.hash {
					continue
				}
				d.ID = old.ID
				changed++
			} else {
				added++
			}
			if err := tx.PutDirEntry(&d); err != nil {
				return fmt.Errorf("line %d: %w", row.line, err)
			}
			if err := tx.PutState(dirFileKey(d.ID), []byte(row.hash)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load directory file %s: %w", path, err)
	}
	dir.env.Log.Info("directory loaded", "file", path, "rows", len(rows), "added", added, "changed", changed)
	return nil
}

// autoReplyKey holds when a group last got a directory auto-reply.
func autoReplyKey(chat string) string { return "autoreply:" + chat }

// defaultAutoReplyEvery spaces directory auto-replies in one group when
// the configuration doesn't say.
const defaultAutoReplyEvery = 30 * time.Minute

// AutoReply answers a non-urgent request in an intake group with
// matching directory entries, when enabled and not too often. Urgent pleas
// get volunteers, not a list; and one reply per group per AutoReplyEvery
// keeps a busy group from being flooded by the bot.
func (dir *Directory) AutoReply(ctx context.Context, m platform.Message, chat *store.Chat, c *store.Case) {
	wf := dir.opts
	if !wf.AutoReply || c.Urgency != triage.Normal || chat.Role != store.RoleIntake || m.Private {
		return
	}
	every := wf.AutoReplyEvery
	if every <= 0 {
		every = defaultAutoReplyEvery
	}
	now := dir.env.Now()
	err := dir.env.Store.Update(ctx, func(tx *store.Tx) error {
		last, err := tx.GetState(autoReplyKey(m.Chat))
		if err != nil {
			return err
		}
		if last != nil {
			if t, err := time.Parse(time.RFC3339Nano, string(last)); err == nil && now.Sub(t) < every {
				return nil
			}
		}
		matches, err := Matches(tx, c)
		if err != nil || len(matches) == 0 {
			return err
		}
		lang := dir.env.Lang(chat)
		lines := []string{i18n.T(lang, "Your request is recorded as case #%d; volunteers will follow up. Meanwhile these may help:", c.ID)}
		for _, d := range matches {
			lines = append(lines, "  "+Line(&d))
		}
		// A deep link takes the asker straight into a private chat tied to
		// their case; it works for them only (deeplink checks the person).
		if link, err := deeplink.Link(tx, dir.env, m.Chat, deeplink.Case, c.ID); err != nil {
			return err
		} else if link != "" && c.Asker == m.Sender {
			lines = append(lines, i18n.T(lang, "To tell me more privately (this link works only for you): %s", link))
		}
		out := platform.OutMessage{Chat: m.Chat, Thread: m.Thread, Text: strings.Join(lines, "\n")}
		if err := delivery.Enqueue(tx, now, delivery.KindAutoReply, c.ID, out, "autoreply:"+m.Chat+":"+m.ID); err != nil {
			return err
		}
		return tx.PutState(autoReplyKey(m.Chat), []byte(now.Format(time.RFC3339Nano)))
	})
	if err != nil {
		dir.env.Log.Warn("directory auto-reply", "chat", m.Chat, "case", c.ID, "err", err)
	}
}
