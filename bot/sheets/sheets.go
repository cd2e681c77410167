// Package sheets reads the spreadsheets teams bring (XLSX, or CSV saved by
// Excel or WPS in UTF-8 or GBK) and maps their columns to fields by the
// headers people actually write, in Chinese or English.
package sheets

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// MaxBytes is the largest file read (a sheet of a few hundred thousand
// rows); anything bigger is most likely the wrong file.
const MaxBytes = 64 << 20

// Table is a sheet's header and rows, cells trimmed, blank rows dropped.
// Line holds each row's line (CSV) or row number (XLSX), for messages.
type Table struct {
	Header []string
	Rows   [][]string
	Line   []int
}

// ReadFile reads an .xlsx or a .csv/.tsv/.txt file.
func ReadFile(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := Read(f, filepath.Base(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Read reads a sheet; name's extension says whether it is XLSX.
func Read(r io.Reader, name string) (*Table, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("larger than %d MB", MaxBytes>>20)
	}
	if strings.EqualFold(filepath.Ext(name), ".xlsx") || bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return readXLSX(data)
	}
	return ReadCSV(data)
}

func readXLSX(data []byte) (*Table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("not an XLSX file: %w", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errors.New("the workbook has no sheets")
	}
	// The first sheet is the cases (our own export puts them there, and
	// teams keep their main list first).
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		return nil, fmt.Errorf("read sheet %s: %w", sheets[0], err)
	}
	return table(rows, nil)
}

// Decode turns a file's bytes into text: UTF-8 (a BOM is dropped), or GBK
// when the bytes are not valid UTF-8 (what Excel and WPS save on a Chinese
// Windows as plain "CSV").
func Decode(data []byte) (string, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if bytes.IndexByte(data, 0) >= 0 {
		return "", errors.New("a binary file, not text (UTF-16 or a spreadsheet saved under a .csv name?)")
	}
	if utf8.Valid(data) {
		return string(data), nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil || !utf8.Valid(out) || bytes.ContainsRune(out, utf8.RuneError) {
		return "", errors.New("neither UTF-8 nor GBK text")
	}
	return string(out), nil
}

// ReadCSV reads comma-, tab- or semicolon-separated text in UTF-8 or GBK.
func ReadCSV(data []byte) (*Table, error) {
	text, err := Decode(data)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = sniffComma(text)
	r.FieldsPerRecord = -1 // hand-edited files drop trailing empty cells
	r.LazyQuotes = true
	var rows [][]string
	var lines []int
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err // csv.ParseError names the line
		}
		line, _ := r.FieldPos(0)
		rows = append(rows, rec)
		lines = append(lines, line)
	}
	return table(rows, lines)
}

// sniffComma picks the separator that occurs most in the first line.
func sniffComma(text string) rune {
	first, _, _ := strings.Cut(text, "\n")
	best, n := ',', strings.Count(first, ",")
	for _, c := range []rune{'\t', ';'} {
		if m := strings.Count(first, string(c)); m > n {
			best, n = c, m
		}
	}
	return best
}

func table(rows [][]string, lines []int) (*Table, error) {
	t := &Table{}
	for i, r := range rows {
		line := i + 1
		if lines != nil {
			line = lines[i]
		}
		blank := true
		for j := range r {
			r[j] = strings.TrimSpace(r[j])
			if r[j] != "" {
				blank = false
			}
		}
		if blank {
			continue
		}
		if t.Header == nil {
			t.Header = r
			continue
		}
		t.Rows = append(t.Rows, r)
		t.Line = append(t.Line, line)
	}
	if t.Header == nil {
		return nil, errors.New("empty: no header row")
	}
	return t, nil
}

// Synonyms lists, per field, the headers that mean it (compared ignoring
// case, spaces and punctuation).
type Synonyms map[string][]string

// Mapping is the column index of each mapped field.
type Mapping map[string]int

// Map finds each field's column by its header. override ("header or
// column number" → field) wins over the synonyms, for headers nobody
// foresaw; "-" as the field ignores a column. required fields must be
// found. It returns the columns it could not place, so a dry run can show
// them.
func Map(header []string, syn Synonyms, override map[string]string, required ...string) (m Mapping, unused []string, err error) {
	m = Mapping{}
	taken := map[int]bool{}
	for col, field := range override {
		i := -1
		if n, err := strconv.Atoi(col); err == nil && n >= 1 && n <= len(header) {
			i = n - 1
		} else {
			for j, h := range header {
				if norm(h) == norm(col) {
					i = j
					break
				}
			}
		}
		if i < 0 {
			return nil, nil, fmt.Errorf("--map %s=%s: no column %q (columns: %s)", col, field, col, strings.Join(header, ", "))
		}
		taken[i] = true
		if field == "-" {
			continue
		}
		if _, ok := syn[field]; !ok {
			return nil, nil, fmt.Errorf("--map %s=%s: unknown field %q (fields: %s)", col, field, field, strings.Join(syn.fields(), ", "))
		}
		m[field] = i
	}
	// Exact header names first; then a header that contains a field's
	// name ("小区地址", "联系人电话"), so an exact match elsewhere wins.
	for _, exact := range []bool{true, false} {
		for j, h := range header {
			if taken[j] {
				continue
			}
		fields:
			for _, field := range syn.fields() {
				if _, done := m[field]; done {
					continue
				}
				for _, s := range syn[field] {
					if norm(h) == norm(s) || !exact && len([]rune(norm(s))) >= 2 && strings.Contains(norm(h), norm(s)) {
						m[field], taken[j] = j, true
						break fields
					}
				}
			}
		}
	}
	for j, h := range header {
		if !taken[j] {
			unused = append(unused, h)
		}
	}
	for _, f := range required {
		if _, ok := m[f]; !ok {
			return nil, nil, fmt.Errorf("no column for %q (columns: %s); name it with --map COLUMN=%s", f, strings.Join(header, ", "), f)
		}
	}
	return m, unused, nil
}

// fields are the field names in a fixed order.
func (s Synonyms) fields() []string {
	out := make([]string, 0, len(s))
	for f := range s {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Get is the row's cell of field ("" when unmapped or missing).
func (m Mapping) Get(row []string, field string) string {
	if i, ok := m[field]; ok && i < len(row) {
		return row[i]
	}
	return ""
}

// norm folds a header for comparison: lower case, without spaces,
// punctuation and brackets ("联系电话（手机）" and "联系电话" stay different,
// but "Phone No." and "phone_no" match).
func norm(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == ' ' || r == '_' || r == '-' || r == '.' || r == ':' || r == '：' || r == '\u3000' || r == '*':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
