package reports

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrNoExportDir says the configuration has no export directory.
var ErrNoExportDir = errors.New("export is not set up: the configuration has no export directory")

// ExportFile writes every case (see Export) to a new file in the export
// directory and returns its path and the number of cases, for /export to
// send as a document. The file holds personal data, so it is readable only
// by the bot's user, and the retention purge deletes it (PurgeExports).
// It is written through a temporary file renamed into place, so a
// half-written export never appears under the final name.
func (r *Reports) ExportFile(ctx context.Context, format Format, lang string) (path string, rows int, err error) {
	dir := r.opts.ExportDir
	if dir == "" {
		return "", 0, ErrNoExportDir
	}
	if format != FormatCSV && format != FormatXLSX {
		return "", 0, ErrBadFormat
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("create export directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".export-*.tmp")
	if err != nil {
		return "", 0, fmt.Errorf("create export file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if rows, err = r.Export(ctx, format, lang, tmp); err != nil {
		return "", 0, err
	}
	if err = tmp.Sync(); err != nil {
		return "", 0, fmt.Errorf("write export file: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("write export file: %w", err)
	}
	path, err = freeName(dir, exportPrefix+r.env.Now().In(r.env.Loc).Format(exportStamp), "."+string(format))
	if err != nil {
		return "", 0, err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return "", 0, fmt.Errorf("name export file: %w", err)
	}
	return path, rows, nil
}

// freeName finds a file name not yet taken, so two exports in the same
// second don't overwrite each other.
func freeName(dir, base, ext string) (string, error) {
	for i := 1; i < 1000; i++ {
		name := base + ext
		if i > 1 {
			name = base + "-" + strconv.Itoa(i) + ext
		}
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			return p, nil
		} else if err != nil {
			return "", fmt.Errorf("check export file name: %w", err)
		}
	}
	return "", fmt.Errorf("no free export file name for %s in %s", base, dir)
}

// writeCSVRow writes every cell quoted (Excel and WPS then never guess at
// separators inside the text) and ends the row with CRLF.
func writeCSVRow(w *bufio.Writer, cells []string) {
	for i, cell := range cells {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteByte('"')
		w.WriteString(strings.ReplaceAll(csvSafe(cell), `"`, `""`))
		w.WriteByte('"')
	}
	w.WriteString("\r\n")
}

// csvSafe neutralises CSV injection: a cell that a spreadsheet would run
// as a formula (a plea text "=HYPERLINK(...)" typed by anyone) gets a
// leading apostrophe, which makes Excel and WPS treat it as text. Line
// ends inside a cell are normalised to LF.
func csvSafe(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if s != "" && strings.ContainsRune("=+-@\t", rune(s[0])) {
		return "'" + s
	}
	return s
}

// exportPrefix and exportStamp name export files; the stamp is the
// engine's clock at export, in its time zone.
const (
	exportPrefix = "lifeline-cases-"
	exportStamp  = "20060102-150405"
)

// PurgeExports deletes the export files written before cutoff (by the
// time in their name, which is the engine's clock). Exports hold every case's personal data,
// so they follow the retention period like the database. It returns how
// many files it deleted.
func (r *Reports) PurgeExports(cutoff time.Time) (int, error) {
	dir := r.opts.ExportDir
	if dir == "" {
		return 0, nil
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("list exports: %w", err)
	}
	n := 0
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !exportDue(name, cutoff, r.env.Loc) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("delete old export: %w", err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// exportDue says whether an export file was written before cutoff. Files
// that are not exports are never touched.
func exportDue(name string, cutoff time.Time, loc *time.Location) bool {
	ext := filepath.Ext(name)
	if !strings.HasPrefix(name, exportPrefix) || (ext != ".csv" && ext != ".xlsx") {
		return false
	}
	stamp := strings.TrimSuffix(strings.TrimPrefix(name, exportPrefix), ext)
	if len(stamp) > len(exportStamp) {
		stamp = stamp[:len(exportStamp)] // "-2" for a second export in the same second
	}
	t, err := time.ParseInLocation(exportStamp, stamp, loc)
	return err == nil && t.Before(cutoff)
}

// FileName is the name of an export written at t (in the engine's zone).
func FileName(format Format, t time.Time) string {
	return exportPrefix + t.Format(exportStamp) + "." + string(format)
}
