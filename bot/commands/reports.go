package commands

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/bot/reports"
	"github.com/lifeline-aid/lifeline/store"
)

// readOutside builds a command's answer in a read-only transaction before
// the command's own write: /stats and /digest read every case, and intake
// must not wait behind them.
func readOutside(build func(tx *store.Tx, cl *call) (string, error)) func(context.Context, *call) error {
	return func(ctx context.Context, cl *call) error {
		var text string
		err := cl.c.env.Store.View(ctx, func(tx *store.Tx) error {
			var err error
			text, err = build(tx, cl)
			return err
		})
		cl.scratch = text
		return err
	}
}

// replyBuilt sends the answer readOutside built.
func replyBuilt(cl *call) error {
	text, ok := cl.scratch.(string)
	if !ok {
		return fmt.Errorf("/%s: no answer built", cl.name)
	}
	return cl.reply(text)
}

// digestNow builds the summary for /digest.
func digestNow(tx *store.Tx, cl *call) (string, error) { return cl.c.reports.Summary(tx, cl.lang) }

// statsFor builds /stats for a period (24h unless named).
func statsFor(tx *store.Tx, cl *call) (string, error) {
	arg := "24h"
	if len(cl.args) > 0 {
		arg = cl.args[0]
	}
	p, ok := cl.c.reports.ParsePeriod(cl.lang, arg)
	if !ok {
		return "", usageError{i18n.T(cl.lang, "%q is not a period (today, 24h, 7d, all).", cl.args[0])}
	}
	return cl.c.reports.Stats(tx, cl.lang, p)
}

// exported is what exportOutside leaves for cmdExport.
type exported struct {
	path   string
	rows   int
	format reports.Format
}

// exportPlace refuses /export outside the coordination chat (not its
// threads, which are case rooms where the asker may sit) and a private chat
// with a coordinator (the rule already requires the role): the file holds
// every asker's phone and address.
func exportPlace(cl *call) error {
	if cl.m.Private || (cl.chat.Role == store.RoleCoordination && cl.m.Thread == "") {
		return nil
	}
	return refuse(i18n.T(cl.lang, "/export works in the volunteers' coordination chat or in a private chat with me."))
}

// exportOutside writes the file before the command's write transaction,
// in a read-only one: an export of 10,000 cases takes seconds and must not
// hold up incoming pleas.
func exportOutside(ctx context.Context, cl *call) error {
	if err := exportPlace(cl); err != nil {
		return err
	}
	format := reports.FormatXLSX
	if len(cl.args) > 0 {
		f, ok := reports.ParseFormat(cl.args[0])
		if !ok {
			return usageError{i18n.T(cl.lang, "%q is not an export format (xlsx, csv).", cl.args[0])}
		}
		format = f
	}
	path, rows, err := cl.c.reports.ExportFile(ctx, format, cl.lang)
	switch {
	case errors.Is(err, reports.ErrNoExportDir):
		return refuse(i18n.T(cl.lang, "Export is not set up: the configuration has no export directory."))
	case err != nil:
		// The coordinator can't fix a disk problem from chat, but should
		// know the export didn't happen; the details go to the log.
		cl.c.env.Log.Error("export cases", "err", err)
		return refuse(i18n.T(cl.lang, "Export failed: %s", err.Error()))
	}
	cl.scratch = exported{path: path, rows: rows, format: format}
	return nil
}

// cmdExport sends the file written by exportOutside into the chat as a
// document, and logs who took it.
func cmdExport(cl *call) error {
	x, ok := cl.scratch.(exported)
	if !ok {
		return fmt.Errorf("export: no file written")
	}
	cl.c.env.Log.Info("cases exported", "file", x.path, "rows", x.rows, "format", x.format, "by", cl.m.Sender, "chat", cl.m.Chat)
	return cl.send(platform.OutMessage{
		Chat: cl.m.Chat, Thread: cl.m.Thread,
		Text: i18n.T(cl.lang, "%d cases. The file holds personal data: keep it within the team.", x.rows),
		Attachment: &platform.Attachment{Kind: platform.MediaDocument, Path: x.path,
			Name: filepath.Base(x.path), MIME: x.format.MIME()},
	}, 0)
}
