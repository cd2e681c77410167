package commands

import (
	"errors"

	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/reports"
	"github.com/lifeline-aid/lifeline/store"
)

// cmdDigest posts the summary now.
func cmdDigest(cl *call) error {
	text, err := cl.c.reports.Summary(cl.tx, cl.lang)
	if err != nil {
		return err
	}
	return cl.reply(text)
}

// cmdStats shows counts for a period (24h unless named).
func cmdStats(cl *call) error {
	arg := "24h"
	if len(cl.args) > 0 {
		arg = cl.args[0]
	}
	p, ok := cl.c.reports.ParsePeriod(cl.lang, arg)
	if !ok {
		return usageError{i18n.T(cl.lang, "%q is not a period (today, 24h, 7d, all).", cl.args[0])}
	}
	text, err := cl.c.reports.Stats(cl.tx, cl.lang, p)
	if err != nil {
		return err
	}
	return cl.reply(text)
}

// cmdExport writes every case to a CSV file and answers with its path.
// The file holds personal data, so it is written only from the
// coordination chat itself (not a room, where the asker sits).
func cmdExport(cl *call) error {
	if cl.chat.Role != store.RoleCoordination || cl.m.Thread != "" {
		return refuse(i18n.T(cl.lang, "/export works in the volunteers' coordination chat."))
	}
	path, rows, err := cl.c.reports.Export(cl.tx)
	switch {
	case errors.Is(err, reports.ErrNoExportDir):
		return refuse(i18n.T(cl.lang, "Export is not set up: the configuration has no export directory."))
	case err != nil:
		// The coordinator can't fix a disk problem from chat, but should
		// know the export didn't happen; the details go to the log.
		cl.c.env.Log.Error("export cases", "err", err)
		return refuse(i18n.T(cl.lang, "Export failed: %s", err.Error()))
	}
	cl.c.env.Log.Info("cases exported", "file", path, "rows", rows, "by", cl.m.Sender)
	return cl.reply(i18n.T(cl.lang, "✓ Exported %d cases to %s", rows, path))
}
