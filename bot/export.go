package bot

import (
	"context"
	"io"

	"github.com/lifeline-aid/lifeline/bot/reports"
)

// ExportFormat is an export file format: reports.FormatXLSX or FormatCSV.
type ExportFormat = reports.Format

// Export writes every case to w as XLSX or CSV, headers and values in lang
// ("zh", "en"), most urgent and longest waiting first, in a read-only
// transaction. It returns the number of cases. The caller must already
// have checked that the reader may see personal data (a coordinator): the
// file holds every asker's phone and address.
func (e *Engine) Export(ctx context.Context, format ExportFormat, lang string, w io.Writer) (int, error) {
	return e.reports.Export(ctx, format, lang, w)
}

// ExportName is the file name for an export made now, as /export names it.
func (e *Engine) ExportName(format ExportFormat) string {
	return reports.FileName(format, e.env.Now().In(e.env.Loc))
}

// Downloads is the board's download source (XLSX and CSV of every case).
func (e *Engine) Downloads() reports.Downloads { return reports.Downloads{R: e.reports} }
