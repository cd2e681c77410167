package actions

import (
	"fmt"
	"strings"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/directory"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/store"
)

// DirRule says who may edit the channels directory.
var DirRule = access.Rule{Name: "dir", Need: access.Coordinator, Where: access.WorkChats}

// The directory belongs to no case, so its changes are recorded in the
// team's log (and the bot's log), not as case events.

// AddDirEntry adds an entry to the directory. Name and category are
// required; the same name may be listed once per district.
func (a *Actions) AddDirEntry(tx *store.Tx, actor access.Actor, d store.DirEntry) (*store.DirEntry, error) {
	if err := a.allow(actor, DirRule); err != nil {
		return nil, err
	}
	d.ID = 0
	d.Name, d.Category = strings.TrimSpace(d.Name), strings.TrimSpace(d.Category)
	if d.Name == "" || d.Category == "" {
		return nil, invalid(i18n.T(actor.Lang, "/dir add needs at least a name and a category, separated by |."))
	}
	d.Updated = a.env.Now()
	dup, err := directory.Same(tx, &d)
	if err != nil {
		return nil, err
	}
	if dup != nil {
		return nil, conflict(i18n.T(actor.Lang, "%s is already in the directory as [%d]; change it with /dir status %d or remove it with /dir rm %d.", dup.Name, dup.ID, dup.ID, dup.ID))
	}
	if err := tx.PutDirEntry(&d); err != nil {
		return nil, fmt.Errorf("add directory entry: %w", err)
	}
	a.env.Log.Info("directory changed", "action", "add", "id", d.ID, "name", d.Name, "by", actor.Ref)
	if err := a.teamEvent(tx, actor, "directory_add", d.Name, fmt.Sprintf("#%d", d.ID)); err != nil {
		return nil, err
	}
	return &d, nil
}

// DirEdit is a change to a directory entry; nil fields stay as they are.
type DirEdit struct {
	Status *string
}

// EditDirEntry changes entry id (today: its status, such as "full").
func (a *Actions) EditDirEntry(tx *store.Tx, actor access.Actor, id int64, edit DirEdit) (*store.DirEntry, error) {
	d, err := a.dirEntry(tx, actor, id)
	if err != nil {
		return nil, err
	}
	from := d.Status
	if edit.Status != nil {
		d.Status = *edit.Status
	}
	d.Updated = a.env.Now()
	if err := tx.PutDirEntry(d); err != nil {
		return nil, fmt.Errorf("update directory entry: %w", err)
	}
	a.env.Log.Info("directory changed", "action", "status", "id", d.ID, "name", d.Name, "from", from, "to", d.Status, "by", actor.Ref)
	if err := a.teamEvent(tx, actor, "directory_status", d.Name, from+" → "+d.Status); err != nil {
		return nil, err
	}
	return d, nil
}

// RemoveDirEntry removes entry id and returns what it was.
func (a *Actions) RemoveDirEntry(tx *store.Tx, actor access.Actor, id int64) (*store.DirEntry, error) {
	d, err := a.dirEntry(tx, actor, id)
	if err != nil {
		return nil, err
	}
	if err := tx.DeleteDirEntry(d.ID); err != nil {
		return nil, fmt.Errorf("remove directory entry: %w", err)
	}
	a.env.Log.Info("directory changed", "action", "rm", "id", d.ID, "name", d.Name, "by", actor.Ref)
	if err := a.teamEvent(tx, actor, "directory_rm", d.Name, fmt.Sprintf("#%d", d.ID)); err != nil {
		return nil, err
	}
	return d, nil
}

// dirEntry checks that the actor may edit the directory, then reads
// entry id.
func (a *Actions) dirEntry(tx *store.Tx, actor access.Actor, id int64) (*store.DirEntry, error) {
	if err := a.allow(actor, DirRule); err != nil {
		return nil, err
	}
	d, err := directory.Entry(tx, id)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, notFound(i18n.T(actor.Lang, "There is no directory entry [%d]. Find it with /find.", id))
	}
	return d, nil
}
