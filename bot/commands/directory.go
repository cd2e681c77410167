package commands

import (
	"strconv"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/actions"
	"github.com/lifeline-aid/lifeline/bot/directory"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
)

// maxFindResults bounds a /find answer so it stays readable in a chat.
const maxFindResults = 8

// cmdFind searches the directory; entries matching more words come first,
// closed ones last.
func cmdFind(cl *call) error {
	found, err := directory.Search(cl.tx, cl.args)
	if err != nil {
		return err
	}
	if found.Total == 0 {
		return cl.reply(i18n.T(cl.lang, "The directory is empty. Coordinators can add entries with /dir add."))
	}
	if len(found.Entries) == 0 {
		cats := found.Categories
		return cl.reply(i18n.T(cl.lang, "Nothing in the directory matches %q. Try a category or a district, for example: %s.",
			cl.rest, strings.Join(cats[:min(len(cats), 8)], ", ")))
	}
	lines := []string{i18n.T(cl.lang, "Directory matches for %q:", cl.rest)}
	for i, d := range found.Entries {
		if i == maxFindResults {
			lines = append(lines, i18n.T(cl.lang, "… %d more; add a word to narrow the search.", len(found.Entries)-maxFindResults))
			break
		}
		lines = append(lines, "  "+directory.Line(&d))
	}
	return cl.reply(strings.Join(lines, "\n"))
}

const dirForms = "Forms: /dir add name | category | district | phone | hours | notes · /dir rm ID · /dir status ID text"

// cmdDir edits the directory from chat: add, rm and status.
func cmdDir(cl *call) error {
	switch strings.ToLower(cl.args[0]) {
	case "add":
		return dirAdd(cl)
	case "rm", "remove", "del", "delete":
		if len(cl.args) != 2 {
			return usageError{i18n.T(cl.lang, dirForms)}
		}
		id, err := cl.dirEntryID(cl.args[1])
		if err != nil {
			return err
		}
		d, err := cl.c.actions.RemoveDirEntry(cl.tx, cl.actor, id)
		if err != nil {
			return err
		}
		return cl.reply(i18n.T(cl.lang, "✓ Removed from the directory: %s", directory.Line(d)))
	case "status":
		if len(cl.args) < 3 {
			return usageError{i18n.T(cl.lang, dirForms)}
		}
		id, err := cl.dirEntryID(cl.args[1])
		if err != nil {
			return err
		}
		status := cl.textAfter(2)
		d, err := cl.c.actions.EditDirEntry(cl.tx, cl.actor, id, actions.DirEdit{Status: &status})
		if err != nil {
			return err
		}
		return cl.reply(i18n.T(cl.lang, "✓ Directory entry updated: %s", directory.Line(d)))
	}
	return usageError{i18n.T(cl.lang, "Unknown /dir action %q.", cl.args[0]) + "\n" + i18n.T(cl.lang, dirForms)}
}

// dirAdd reads "name | category | district | phone | hours | notes".
func dirAdd(cl *call) error {
	fields := strings.FieldsFunc(cl.textAfter(1), func(r rune) bool { return r == '|' || r == '｜' })
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	if len(fields) < 2 || len(fields) > 6 || fields[0] == "" || fields[1] == "" {
		return usageError{i18n.T(cl.lang, "/dir add needs at least a name and a category, separated by |.")}
	}
	fields = append(fields, make([]string, 6-len(fields))...)
	d, err := cl.c.actions.AddDirEntry(cl.tx, cl.actor, store.DirEntry{Name: fields[0], Category: fields[1], District: fields[2], Phone: fields[3],
		Hours: fields[4], Notes: fields[5]})
	if err != nil {
		return err
	}
	return cl.reply(i18n.T(cl.lang, "✓ Added to the directory: %s", directory.Line(d)))
}

// dirEntryID reads a directory entry number ("3" or "[3]").
func (cl *call) dirEntryID(s string) (int64, error) {
	id, err := strconv.ParseInt(strings.Trim(s, "[]#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, usageError{i18n.T(cl.lang, "%q is not a directory entry number.", s) + "\n" + i18n.T(cl.lang, dirForms)}
	}
	return id, nil
}
