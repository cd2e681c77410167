package board

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/sheets"
)

// Importer records a team's sheet as cases: the engine's ImportCases, the
// same function as `lifeline import cases`, so a file imported on the
// board and on the command line is one import (re-importing changes
// nothing).
type Importer interface {
	ImportCases(ctx context.Context, t *sheets.Table, o bot.ImportOptions) (*bot.ImportReport, error)
}

const (
	// DefaultImportMaxBytes bounds an uploaded sheet (thousands of rows
	// fit in far less).
	DefaultImportMaxBytes = 10 << 20
	// uploadTimeout is how long an upload may take to arrive.
	uploadTimeout = 5 * time.Minute
	// uploadTTL is how long a previewed file waits for "Import".
	uploadTTL = 15 * time.Minute
	// maxUploads bounds the files kept between preview and import, so
	// memory stays under maxUploads × the size limit.
	maxUploads = 4
	// previewRows is how many rows a preview lists; the totals count all.
	previewRows = 500
)

// upload is a previewed file kept server-side, so "Import" records what
// the preview showed and not what a browser sends back.
type upload struct {
	person  string
	name    string
	data    []byte
	mapText string
	maps    map[string]string
	expires time.Time
	at      time.Time
}

// uploads holds the previewed files by a random id.
type uploads struct {
	mu sync.Mutex
	m  map[string]*upload
}

// put keeps u under a new id, dropping expired files and, past
// maxUploads, the oldest.
func (s *uploads) put(u *upload, now time.Time) (string, error) {
	id, err := newToken()
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*upload{}
	}
	for k, x := range s.m {
		if !now.Before(x.expires) {
			delete(s.m, k)
		}
	}
	for len(s.m) >= maxUploads {
		oldest := ""
		for k, x := range s.m {
			if oldest == "" || x.at.Before(s.m[oldest].at) {
				oldest = k
			}
		}
		delete(s.m, oldest)
	}
	s.m[id] = u
	return id, nil
}

// get is the file under id if person uploaded it and it has not expired.
func (s *uploads) get(id, person string, now time.Time) *upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.m[id]
	if u == nil || u.person != person {
		return nil
	}
	if !now.Before(u.expires) {
		delete(s.m, id)
		return nil
	}
	return u
}

func (b *Board) importMax() int64 {
	if b.opts.ImportMaxBytes > 0 {
		return b.opts.ImportMaxBytes
	}
	return DefaultImportMaxBytes
}

// bodyLimit is the largest request body for r: an upload's file and form
// fields on the import page, 1 MB elsewhere.
func (b *Board) bodyLimit(r *http.Request) int64 {
	if r.Method == http.MethodPost && r.URL.Path == "/board/import" && b.opts.Importer != nil {
		return b.importMax() + 1<<20
	}
	return 1 << 20
}

// canImport says whether v may import: coordinators and admins.
func canImport(v *viewer) bool { return v.Actor.Level >= access.Coordinator }

// importData is what the import page shows.
type importData struct {
	MapText string
	// Upload is the kept file's id, for "Import" after a preview.
	Upload  string
	Name    string
	Applied bool
	Alert   bool
	Fields  []string
	Columns []importColumn
	Rows    []bot.ImportRow
	More    int
	Report  *bot.ImportReport
}

type importColumn struct {
	Header string
	Field  string
}

// refuseImport answers a volunteer below coordinator: 403, logged.
func (b *Board) refuseImport(w http.ResponseWriter, r *http.Request, v *viewer) bool {
	if canImport(v) {
		return false
	}
	b.env.Log.Warn("board import refused: not a coordinator", "person", v.Person.Ref, "path", r.URL.Path)
	b.message(w, r, http.StatusForbidden, "Only coordinators import cases.")
	return true
}

// importPage shows the upload form.
func (b *Board) importPage(w http.ResponseWriter, r *http.Request, v *viewer) {
	if b.refuseImport(w, r, v) {
		return
	}
	b.showImport(w, r, v, &importData{}, "", http.StatusOK)
}

func (b *Board) showImport(w http.ResponseWriter, r *http.Request, v *viewer, d *importData, errText string, status int) {
	p := b.viewPage(v, "import", tr(v.Lang, "Import cases"))
	p.Error = errText
	d.Fields = importFields()
	p.Data = d
	b.render(w, r, status, "import", p)
}

func importFields() []string {
	out := make([]string, 0, len(bot.CaseColumns))
	for f := range bot.CaseColumns {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// importForm is a parsed upload request.
type importForm struct {
	fields url.Values
	name   string
	data   []byte
	// tooBig says the file passed the size limit.
	tooBig bool
}

// readImportForm streams the multipart body: form fields up to 64 KB
// each, the file up to the limit, so memory stays bounded whatever is
// sent (nothing goes to temporary files).
func (b *Board) readImportForm(r *http.Request) (*importForm, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, err
	}
	f := &importForm{fields: url.Values{}}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return f, nil
		}
		if err != nil {
			return nil, err
		}
		name := part.FormName()
		if name == "file" && part.FileName() != "" {
			f.name = filepath.Base(part.FileName())
			f.data, err = io.ReadAll(io.LimitReader(part, b.importMax()+1))
			if err != nil {
				return nil, err
			}
			if int64(len(f.data)) > b.importMax() {
				f.tooBig, f.data = true, nil
				return f, nil
			}
			continue
		}
		val, err := io.ReadAll(io.LimitReader(part, 64<<10))
		if err != nil {
			return nil, err
		}
		f.fields.Add(name, string(val))
	}
}

// parseMap reads the column-map field: COLUMN=FIELD per line (or
// separated by ";"), as the command line's --map.
func parseMap(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ';' }) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		col, field, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(col) == "" || strings.TrimSpace(field) == "" {
			return nil, fmt.Errorf("column map: want COLUMN=FIELD, got %q", line)
		}
		m[strings.TrimSpace(col)] = strings.TrimSpace(field)
	}
	return m, nil
}

// importPost is "Preview" (a multipart upload: the dry run, the file kept
// for a few minutes) or "Import" (the kept file by id, recorded).
func (b *Board) importPost(w http.ResponseWriter, r *http.Request, v *viewer) {
	if b.refuseImport(w, r, v) {
		return
	}
	// The listener allows 30 s to read a request: too little for 10 MB
	// over a poor link in a disaster zone. A signed-in coordinator's
	// upload gets minutes (errors: a server without deadlines).
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(uploadTimeout))
	_ = rc.SetWriteDeadline(time.Now().Add(uploadTimeout + time.Minute))
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		b.importPreview(w, r, v)
		return
	}
	b.importApply(w, r, v)
}

func (b *Board) importPreview(w http.ResponseWriter, r *http.Request, v *viewer) {
	f, err := b.readImportForm(r)
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			b.showImport(w, r, v, &importData{}, tr(v.Lang, "The file is larger than %d MB.", b.importMax()>>20), http.StatusRequestEntityTooLarge)
			return
		}
		b.env.Log.Warn("board import: bad upload", "person", v.Person.Ref, "err", err)
		b.showImport(w, r, v, &importData{}, tr(v.Lang, "The upload did not arrive whole; try again."), http.StatusBadRequest)
		return
	}
	// The token came in the multipart body: checkForm reads it from here.
	r.PostForm = f.fields
	if !b.checkForm(r, v) {
		b.message(w, r, http.StatusForbidden, "The form expired; reload the page and try again.")
		return
	}
	d := &importData{MapText: f.fields.Get("map")}
	if f.tooBig {
		b.env.Log.Warn("board import: file too large", "person", v.Person.Ref, "file", f.name)
		b.showImport(w, r, v, d, tr(v.Lang, "The file is larger than %d MB.", b.importMax()>>20), http.StatusRequestEntityTooLarge)
		return
	}
	if f.name == "" || len(f.data) == 0 {
		b.showImport(w, r, v, d, tr(v.Lang, "Choose an XLSX or CSV file."), http.StatusBadRequest)
		return
	}
	maps, err := parseMap(d.MapText)
	if err != nil {
		b.showImport(w, r, v, d, err.Error(), http.StatusBadRequest)
		return
	}
	u := &upload{person: v.Person.Ref, name: f.name, data: f.data, mapText: d.MapText, maps: maps}
	rep, t, ok := b.runImport(w, r, v, u, d, false, false)
	if !ok {
		return
	}
	now := b.env.Now()
	u.at, u.expires = now, now.Add(uploadTTL)
	if rep.New > 0 {
		if d.Upload, err = b.uploads.put(u, now); err != nil {
			b.fail(w, r, err)
			return
		}
	}
	b.env.Log.Info("board import preview", "person", v.Person.Ref, "file", u.name, "rows", len(t.Rows), "new", rep.New)
	b.fillImport(d, u, t, rep)
	b.showImport(w, r, v, d, "", http.StatusOK)
}

func (b *Board) importApply(w http.ResponseWriter, r *http.Request, v *viewer) {
	if !b.checkForm(r, v) {
		b.message(w, r, http.StatusForbidden, "The form expired; reload the page and try again.")
		return
	}
	id := r.PostFormValue("upload")
	u := b.uploads.get(id, v.Person.Ref, b.env.Now())
	if u == nil {
		b.showImport(w, r, v, &importData{}, tr(v.Lang, "That preview has expired; upload the file again."), http.StatusGone)
		return
	}
	alert := r.PostFormValue("alert") != ""
	d := &importData{MapText: u.mapText, Applied: true, Alert: alert}
	rep, t, ok := b.runImport(w, r, v, u, d, true, alert)
	if !ok {
		return
	}
	b.env.Log.Info("board import", "person", v.Person.Ref, "file", u.name, "new", rep.New, "skipped", rep.Skipped, "bad", rep.Bad, "alerts", rep.Alerts)
	if rep.Alerts > 0 && b.wake != nil {
		b.wake()
	}
	b.fillImport(d, u, t, rep)
	b.showImport(w, r, v, d, "", http.StatusOK)
}

// runImport reads u's file again and imports it (dry run unless apply).
// A file or mapping the sheet reader refuses is the person's error, shown
// on the form; ok is false when the answer has been written.
func (b *Board) runImport(w http.ResponseWriter, r *http.Request, v *viewer, u *upload, d *importData, apply, alert bool) (*bot.ImportReport, *sheets.Table, bool) {
	t, err := sheets.Read(bytes.NewReader(u.data), u.name)
	if err != nil {
		b.showImport(w, r, v, d, tr(v.Lang, "Cannot read %s: %s", u.name, err.Error()), http.StatusBadRequest)
		return nil, nil, false
	}
	rep, err := b.opts.Importer.ImportCases(r.Context(), t, bot.ImportOptions{
		Name: u.name, Map: u.maps, Apply: apply, Alert: alert, Actor: v.Person.Ref})
	if err != nil {
		if apply {
			b.fail(w, r, err)
			return nil, nil, false
		}
		// A dry run changes nothing; what fails it is the sheet or the
		// map (no request column, an unknown field).
		b.showImport(w, r, v, d, err.Error(), http.StatusBadRequest)
		return nil, nil, false
	}
	return rep, t, true
}

func (b *Board) fillImport(d *importData, u *upload, t *sheets.Table, rep *bot.ImportReport) {
	d.Name, d.Report = u.name, rep
	for i, h := range t.Header {
		c := importColumn{Header: h}
		for f, j := range rep.Mapping {
			if j == i {
				c.Field = f
			}
		}
		d.Columns = append(d.Columns, c)
	}
	d.Rows = rep.Rows
	if len(d.Rows) > previewRows {
		d.More = len(d.Rows) - previewRows
		d.Rows = d.Rows[:previewRows]
	}
}

func init() {
	for k, v := range map[string]string{
		"Import":                               "导入",
		"Import cases":                         "导入求助单",
		"Only coordinators import cases.":      "只有协调员可以导入求助单。",
		"Imported %s":                          "已导入 %s",
		"Preview of %s (nothing recorded yet)": "%s 预览(尚未记录)",
		"%d new cases imported; %d already imported; %d rows skipped.":  "新导入 %d 单；%d 单此前已导入；跳过 %d 行。",
		"%d new cases to import; %d already imported; %d rows skipped.": "将新导入 %d 单；%d 单此前已导入；跳过 %d 行。",
		"%d alerts queued.":   "已排队 %d 条提醒。",
		"Column":              "列",
		"Field":               "字段",
		"(ignored)":           "(忽略)",
		"Line":                "行",
		"Outcome":             "结果",
		"skipped: %s":         "跳过：%s",
		"already imported as": "此前已导入为",
		"new":                 "新",
		"… and %d more rows.": "……另有 %d 行。",
		"alert the coordination chat about urgent open cases": "向协调群发送紧急求助单提醒",
		"Nothing new to import.":                              "没有需要新导入的行。",
		"Another file":                                        "导入其他文件",
		"Sheet (XLSX or CSV, UTF-8 or GBK)":                   "表格(XLSX 或 CSV，UTF-8 或 GBK)",
		"Column map (optional): COLUMN=FIELD, one a line":     "列对应(可选)：列名=字段，每行一个",
		"Fields:":                 "字段：",
		"\"-\" ignores a column.": "“-”表示忽略该列。",
		"Preview":                 "预览",
		"Rows become cases without alerting anyone unless you tick the box; importing the same file again changes nothing.": "每行记录为一个求助单，除非勾选，否则不发提醒；再次导入同一文件不会有任何改变。",
		"The file is larger than %d MB.":                   "文件超过 %d MB。",
		"The upload did not arrive whole; try again.":      "上传不完整，请重试。",
		"Choose an XLSX or CSV file.":                      "请选择 XLSX 或 CSV 文件。",
		"That preview has expired; upload the file again.": "该预览已过期，请重新上传文件。",
		"Cannot read %s: %s":                               "无法读取 %s：%s",
	} {
		zh[k] = v
	}
}
