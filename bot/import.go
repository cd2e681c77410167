package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/sheets"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// CaseColumns are the headers an imported case sheet may use for each
// field, in Chinese and English (our own export's headers among them).
var CaseColumns = sheets.Synonyms{
	"text":     {"求助内容", "内容", "求助", "求助信息", "需求", "具体需求", "诉求", "描述", "情况", "情况描述", "原文", "request", "text", "description", "need", "needs", "message", "details"},
	"phone":    {"电话", "联系电话", "手机", "手机号", "手机号码", "电话号码", "联系方式", "phone", "tel", "telephone", "mobile", "contact"},
	"place":    {"地点", "地址", "住址", "详细地址", "小区", "所在区", "区", "区域", "place", "address", "location", "district", "where"},
	"urgency":  {"紧急度", "紧急程度", "紧急", "优先级", "等级", "urgency", "priority", "level"},
	"status":   {"状态", "进度", "处理状态", "处理进度", "status", "progress", "state"},
	"category": {"类别", "类型", "分类", "求助类型", "category", "type", "kind"},
	"created":  {"创建时间", "时间", "日期", "登记时间", "提交时间", "求助时间", "created", "time", "date", "timestamp", "submitted"},
	"asker":    {"求助人", "姓名", "联系人", "称呼", "发送人", "asker", "name", "contact name", "sender"},
	"notes":    {"备注", "跟进", "跟进记录", "跟进情况", "处理结果", "notes", "note", "remarks", "comment", "comments", "follow-up"},
	"ref":      {"编号", "序号", "id", "no", "case", "#", "row"},
}

// ImportOptions say how to import a case sheet.
type ImportOptions struct {
	// Name is the file's name, recorded on each case's history.
	Name string
	// Map overrides header matching: column header (or 1-based number) →
	// field, "-" to ignore a column.
	Map map[string]string
	// Apply records the rows; without it Import only reports what it would do.
	Apply bool
	// Alert queues the usual alert for imported open cases at or above the
	// alert level; without it imports are silent (the team has seen them).
	Alert bool
	// Actor is who imports, for the cases' history (default "lifeline",
	// the CLI); the board passes the signed-in coordinator.
	Actor string
}

// ImportRow is one row as Import understood it.
type ImportRow struct {
	Line     int
	Key      string // the row's identity: re-imports of it change nothing
	Case     store.Case
	Notes    string
	Existing bool  // already imported earlier
	ID       int64 // the case id, once applied (or the earlier import's)
	Err      string
}

// ImportReport says what Import did (or would do).
type ImportReport struct {
	Mapping sheets.Mapping
	Unused  []string // headers mapped to nothing
	Rows    []ImportRow
	New     int // rows recorded (or to record) as new cases
	Skipped int // rows imported before
	Bad     int // rows without a request text
	Alerts  int // cases whose alert was queued
}

// importChat names the source of imported rows; with the row key it is the
// message key that makes a re-import a no-op.
const importChat = "import:cases"

// importChunk is how many rows one import transaction records.
const importChunk = 200

// ImportCases maps t's columns, triages each row and, with Apply, records
// each new row as a case (importChunk rows a transaction). Urgency, status
// and category come from the sheet when it has them, else from triage.
// Re-importing the same rows changes nothing: each row is keyed by its
// content.
func (e *Engine) ImportCases(ctx context.Context, t *sheets.Table, o ImportOptions) (*ImportReport, error) {
	m, unused, err := sheets.Map(t.Header, CaseColumns, o.Map, "text")
	if err != nil {
		return nil, err
	}
	rep := &ImportReport{Mapping: m, Unused: unused}
	now := e.env.Now()
	for i, row := range t.Rows {
		r := e.importRow(m, row, now)
		r.Line = t.Line[i]
		rep.Rows = append(rep.Rows, r)
	}
	// write checks (and with Apply records) rows[lo:hi], counting into
	// part's counts, which it zeroes first: a transaction may run its
	// function again.
	write := func(lo, hi int, part *ImportReport) func(tx *store.Tx) error {
		return func(tx *store.Tx) error {
			part.New, part.Skipped, part.Bad, part.Alerts = 0, 0, 0, 0
			for i := lo; i < hi; i++ {
				r := &rep.Rows[i]
				r.Existing, r.ID = false, 0
				if r.Err != "" {
					part.Bad++
					continue
				}
				key := store.MessageKey{Chat: importChat, ID: r.Key}
				src, err := tx.SourceOfMessage(key)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("line %d: %w", r.Line, err)
				}
				if src != nil {
					r.Existing, r.ID = true, src.Case
					part.Skipped++
					continue
				}
				part.New++
				if !o.Apply {
					continue
				}
				if err := e.recordImported(tx, r, key, o, part); err != nil {
					return fmt.Errorf("line %d: %w", r.Line, err)
				}
			}
			return nil
		}
	}
	if !o.Apply {
		if err := e.env.Store.View(ctx, write(0, len(rep.Rows), rep)); err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		return rep, nil
	}
	// Recorded importChunk rows a transaction, so a big sheet never holds
	// up incoming pleas for long; a failure keeps the chunks before it,
	// and importing the file again records only the rest.
	for lo := 0; lo < len(rep.Rows); lo += importChunk {
		hi := min(lo+importChunk, len(rep.Rows))
		var part ImportReport
		if err := e.env.Store.Update(ctx, write(lo, hi, &part)); err != nil {
			if rep.New > 0 {
				err = fmt.Errorf("%w (%d rows before it were recorded; importing the file again records only the rest)", err, rep.New)
			}
			return nil, fmt.Errorf("import: %w", err)
		}
		rep.New += part.New
		rep.Skipped += part.Skipped
		rep.Bad += part.Bad
		rep.Alerts += part.Alerts
	}
	e.env.Log.Info("cases imported", "file", o.Name, "new", rep.New, "skipped", rep.Skipped, "bad", rep.Bad, "alerts", rep.Alerts)
	return rep, nil
}

func (e *Engine) recordImported(tx *store.Tx, r *ImportRow, key store.MessageKey, o ImportOptions, rep *ImportReport) error {
	c := r.Case
	status := c.Status
	c.Status = store.StatusNew
	res, err := tx.Ingest(store.IngestRequest{Msg: key, At: c.Created, Case: c, Kind: store.SourceFirst})
	if err != nil {
		return err
	}
	if res.Duplicate || res.Case == nil {
		// Seen earlier but its source is gone (a purged case): still a re-import.
		r.Existing = true
		rep.New--
		rep.Skipped++
		return nil
	}
	nc := res.Case
	r.ID = nc.ID
	note := fmt.Sprintf("imported from %s line %d", o.Name, r.Line)
	actor := o.Actor
	if actor == "" {
		actor = "lifeline"
	}
	if err := tx.AppendEvent(&store.Event{Case: nc.ID, At: e.env.Now(), Actor: actor, Kind: "import", Note: note}); err != nil {
		return err
	}
	if r.Notes != "" {
		if err := tx.AppendEvent(&store.Event{Case: nc.ID, At: e.env.Now(), Actor: actor, Kind: "note", Note: r.Notes}); err != nil {
			return err
		}
	}
	if status != store.StatusNew && status != "" {
		nc.Status = status
		if !status.Open() {
			nc.Finished = nc.Updated
			if status == store.StatusClosed && nc.CloseReason == "" {
				nc.CloseReason = "referred"
			}
		}
		if err := tx.PutCase(nc); err != nil {
			return err
		}
	}
	if o.Alert && nc.Status.Open() && nc.Urgency >= e.intake.AlertAt() {
		if err := e.intake.QueueAlerts(tx, nc); err != nil {
			return err
		}
		rep.Alerts++
	}
	return nil
}

// importRow reads one row into the case it would become.
func (e *Engine) importRow(m sheets.Mapping, row []string, now time.Time) ImportRow {
	get := func(f string) string { return m.Get(row, f) }
	text := get("text")
	r := ImportRow{Notes: get("notes")}
	h := sha256.New()
	for _, f := range []string{"ref", "text", "phone", "place", "created"} {
		h.Write([]byte(strings.Join(strings.Fields(get(f)), " ")))
		h.Write([]byte{0})
	}
	r.Key = hex.EncodeToString(h.Sum(nil)[:12])
	if text == "" {
		r.Err = "no request text"
		return r
	}
	// Triage reads the text with the place and phone, as a plea would
	// carry them.
	full := strings.TrimSpace(strings.Join([]string{text, get("place"), get("phone")}, " "))
	a := e.triage.Assess(full)
	created := parseTime(get("created"), e.env.Loc)
	if created.IsZero() {
		created = now
	}
	c := store.Case{
		Asker: "", AskerName: get("asker"), SourceChat: importChat, SourceMsg: r.Key,
		Text: text, Assessment: a, Category: a.Category, Urgency: a.Urgency, Status: store.StatusNew,
		Phones: a.Phones, Address: get("place"), Language: a.Language, Created: created, Updated: created,
	}
	if u, ok := parseUrgency(get("urgency")); ok {
		c.Urgency = u
	}
	if c.Urgency == triage.None {
		// A row in a team's help sheet is a request, whatever triage
		// makes of its wording.
		c.Urgency = triage.Normal
	}
	if s, ok := parseStatus(get("status")); ok {
		c.Status = s
	}
	if cat, ok := parseCategory(get("category")); ok {
		c.Category = cat
	}
	r.Case = c
	return r
}

var timeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006/1/2 15:04:05", "2006/1/2 15:04", "2006-01-02",
	"2006/1/2", "1/2/06 15:04", "1-2-06 15:04", "01-02-06", "1/2/2006 15:04", "1/2/2006", "2006年1月2日 15:04", "2006年1月2日", "1月2日 15:04", time.RFC3339}

// parseTime reads the usual spreadsheet date forms; zero when it can't.
func parseTime(s string, loc *time.Location) time.Time {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t
		}
	}
	return time.Time{}
}

func parseUrgency(s string) (triage.Urgency, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return triage.None, false
	}
	for _, w := range []string{"危急", "特急", "critical", "危重", "红", "🔴", "最高", "p0"} {
		if strings.Contains(s, w) {
			return triage.Critical, true
		}
	}
	for _, w := range []string{"紧急", "急", "high", "橙", "黄", "🟠", "高", "p1"} {
		if strings.Contains(s, w) {
			return triage.High, true
		}
	}
	for _, w := range []string{"一般", "普通", "normal", "低", "绿", "🟢", "low", "中", "p2"} {
		if strings.Contains(s, w) {
			return triage.Normal, true
		}
	}
	return triage.None, false
}

func parseStatus(s string) (store.Status, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", false
	}
	for _, st := range []store.Status{store.StatusNew, store.StatusVerifying, store.StatusVerified, store.StatusInProgress, store.StatusResolved, store.StatusClosed} {
		if s == string(st) || s == i18n.Status("en", st) || s == i18n.Status("zh", st) {
			return st, true
		}
	}
	table := []struct {
		words []string
		st    store.Status
	}{
		{[]string{"未核实", "待核实", "核实中"}, store.StatusVerifying},
		{[]string{"已核实", "核实"}, store.StatusVerified},
		{[]string{"已解决", "解决", "完成", "已处理", "done", "solved"}, store.StatusResolved},
		{[]string{"关闭", "取消", "无效", "closed"}, store.StatusClosed},
		{[]string{"处理中", "跟进", "进行", "对接"}, store.StatusInProgress},
		{[]string{"待处理", "未处理", "新", "open", "todo"}, store.StatusNew},
	}
	for _, t := range table {
		for _, w := range t.words {
			if strings.Contains(s, w) {
				return t.st, true
			}
		}
	}
	return "", false
}

func parseCategory(s string) (triage.Category, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	if c, ok := i18n.ParseCategory(strings.ToLower(s)); ok {
		return c, true
	}
	for _, c := range i18n.Categories {
		if s == i18n.Category("zh", c) || strings.EqualFold(s, i18n.Category("en", c)) {
			return c, true
		}
	}
	return "", false
}
