package chatexport

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lifeline-aid/lifeline/triage"
)

// Plea is a message triage found to be a request.
type Plea struct {
	Message
	Assessment triage.Assessment
}

// Triager is what Scan needs of triage.
type Triager interface {
	Assess(text string) triage.Assessment
}

// Scan triages every message and returns the requests, most urgent first,
// oldest first within an urgency. progress, when set, is called as it
// goes (every 1% and at the end).
func Scan(msgs []Message, t Triager, progress func(done, total int)) []Plea {
	var out []Plea
	step := max(len(msgs)/100, 1)
	for i, m := range msgs {
		a := t.Assess(m.Text)
		if a.IsRequest && a.Urgency != triage.None {
			out = append(out, Plea{Message: m, Assessment: a})
		}
		if progress != nil && ((i+1)%step == 0 || i+1 == len(msgs)) {
			progress(i+1, len(msgs))
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Assessment.Urgency != out[j].Assessment.Urgency {
			return out[i].Assessment.Urgency > out[j].Assessment.Urgency
		}
		return out[i].At.Before(out[j].At)
	})
	return out
}

// PleaHeader is the header of the pleas sheet; the importer knows every
// column ("Request" is the text), so `lifeline import cases` reads it back.
var PleaHeader = []string{"ID", "Time", "Group", "Sender", "Urgency", "Category", "Phone", "Place", "Request", "Why"}

// Row is a plea's cells, in PleaHeader order.
func (p Plea) Row(loc *time.Location) []string {
	at := ""
	if !p.At.IsZero() {
		at = p.At.In(loc).Format("2006-01-02 15:04:05")
	}
	a := p.Assessment
	return []string{p.Chat + "#" + p.ID, at, p.Chat, p.Sender, a.Urgency.String(), string(a.Category),
		strings.Join(a.Phones, " / "), strings.Join(a.Places, " "), p.Text, strings.Join(a.Signals, ", ")}
}

// WriteCSV writes the pleas as CSV for Excel (BOM, CRLF, formula cells
// neutralised).
func WriteCSV(w io.Writer, pleas []Plea, loc *time.Location) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("\ufeff")
	row := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				bw.WriteByte(',')
			}
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				c = "'" + c
			}
			bw.WriteString(`"` + strings.ReplaceAll(c, `"`, `""`) + `"`)
		}
		bw.WriteString("\r\n")
	}
	row(PleaHeader)
	for _, p := range pleas {
		row(p.Row(loc))
	}
	return bw.Flush()
}

// urgencyFill colours a plea's row as the team's sheet did.
var urgencyFill = map[triage.Urgency]string{triage.Critical: "F8CBAD", triage.High: "FFE699", triage.Normal: "E2EFDA"}

// WriteXLSX writes the pleas as one coloured sheet with a frozen header.
func WriteXLSX(w io.Writer, pleas []Plea, loc *time.Location) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	styles := map[triage.Urgency]int{}
	for u, c := range urgencyFill {
		if styles[u], err = f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c}}}); err != nil {
			return err
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	_ = sw.SetColWidth(2, 4, 18)
	_ = sw.SetColWidth(9, 9, 60)
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	put := func(r int, style int, cells []string) error {
		vals := make([]any, len(cells))
		for i, c := range cells {
			vals[i] = excelize.Cell{StyleID: style, Value: c}
		}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		return sw.SetRow(cell, vals)
	}
	if err := put(1, bold, PleaHeader); err != nil {
		return err
	}
	for i, p := range pleas {
		if err := put(i+2, styles[p.Assessment.Urgency], p.Row(loc)); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", "Pleas"); err != nil {
		return err
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write xlsx: %w", err)
	}
	return nil
}
