package wechat

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/eatmoreapple/openwechat"
)

// Identity scheme (README.md has the long form).
//
// WeChat web user names ("@3f1a…") change at every login, so they are never
// stored. Instead:
//   - a group is keyed by its name: chat ref "wechat:<group name>";
//   - a friend gets a remark name the bot assigns on first contact,
//     "LL-0007" (kept in front of any remark already there), and is
//     "wechat:LL-0007" both as a person and as the private chat; the
//     mapping nickname ↔ id is also kept in State, as a fallback for when
//     WeChat does not keep the remark;
//   - a group member who is not a friend is "wechat:<group name>/<name in
//     group>" — good enough to tell people apart in one group, but it
//     follows their display name.

const (
	keySeq    = "wechat/id-seq"
	keyByNick = "wechat/nick/" // + nickname → id
	keyByID   = "wechat/id/"   // + id → nickname
	keyGroups = "wechat/groups"
	keyRooms  = "wechat/rooms"
)

var remarkIDRe = regexp.MustCompile(`^LL-(\d{4,})\b`)

// remarkID returns the bot-assigned id at the start of a remark name.
func remarkID(remark string) (string, bool) {
	m := remarkIDRe.FindStringSubmatch(strings.TrimSpace(remark))
	if m == nil {
		return "", false
	}
	return "LL-" + m[1], true
}

func isPersonID(id string) bool {
	_, ok := remarkID(id)
	return ok && !strings.ContainsAny(id, " /")
}

// contact is the adapter's copy of what it needs about a WeChat contact.
// The library's own objects are left to its sync goroutine.
type contact struct {
	userName string
	nick     string
	remark   string
	group    bool
	members  []member
}

type member struct {
	userName, nick, display string
}

func (m member) name() string {
	if m.display != "" {
		return m.display
	}
	return m.nick
}

func contactOf(u *openwechat.User) contact {
	c := contact{
		userName: u.UserName,
		nick:     openwechat.FormatEmoji(u.NickName),
		remark:   openwechat.FormatEmoji(u.RemarkName),
		group:    strings.HasPrefix(u.UserName, "@@"),
	}
	for _, m := range u.MemberList {
		c.members = append(c.members, member{userName: m.UserName,
			nick: openwechat.FormatEmoji(m.NickName), display: openwechat.FormatEmoji(m.DisplayName)})
	}
	return c
}

// directory maps refs to this session's user names.
type directory struct {
	mu      sync.Mutex
	byUser  map[string]*contact
	groups  map[string]string // group name → user name
	friends map[string]string // person id → user name
	tried   map[string]bool   // user names whose remark the bot tried to set
}

func newDirectory() *directory {
	return &directory{byUser: map[string]*contact{}, groups: map[string]string{},
		friends: map[string]string{}, tried: map[string]bool{}}
}

func (d *directory) remarkTried(userName string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.tried[userName]
}

func (d *directory) markRemarkTried(userName string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tried[userName] = true
}

func (d *directory) putGroup(c contact) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if old, ok := d.byUser[c.userName]; ok && old.nick != c.nick && d.groups[old.nick] == c.userName {
		delete(d.groups, old.nick)
	}
	if len(c.members) == 0 {
		if old, ok := d.byUser[c.userName]; ok {
			c.members = old.members
		}
	}
	cc := c
	d.byUser[c.userName] = &cc
	if c.nick != "" {
		d.groups[c.nick] = c.userName
	}
}

func (d *directory) putFriend(c contact, id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	cc := c
	d.byUser[c.userName] = &cc
	if id != "" {
		d.friends[id] = c.userName
	}
}

func (d *directory) get(userName string) (contact, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c, ok := d.byUser[userName]
	if !ok {
		return contact{}, false
	}
	return *c, true
}

func (d *directory) group(name string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.groups[name]
	return u, ok
}

func (d *directory) friend(id string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.friends[id]
	return u, ok
}

func (d *directory) friendID(userName string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, u := range d.friends {
		if u == userName {
			return id, true
		}
	}
	return "", false
}

func (d *directory) renameGroup(oldName, newName string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.groups[oldName]
	if !ok {
		return
	}
	delete(d.groups, oldName)
	d.groups[newName] = u
	if c, ok := d.byUser[u]; ok {
		c.nick = newName
	}
}

// friendRef returns the person ref of a friend, assigning an id on first
// contact. It writes the remark name through WeChat; when WeChat refuses
// (openwechat marks the call as unreliable) the nickname mapping in State
// still carries the id.
func (a *Adapter) friendRef(ctx context.Context, sess *session, c contact) (string, error) {
	a.idMu.Lock()
	defer a.idMu.Unlock()
	if id, ok := remarkID(c.remark); ok {
		if other, taken := sess.dir.friend(id); !taken || other == c.userName {
			if err := a.noteSeenID(ctx, id); err != nil {
				return "", err
			}
			sess.dir.putFriend(c, id)
			if err := a.rememberNick(ctx, id, c.nick); err != nil {
				return "", err
			}
			return platformName + ":" + id, nil
		}
		// Another friend holds this id this session: the remark was copied
		// by hand. This one is a newcomer and gets an id of its own below.
		a.log.Warn("wechat: a friend's remark carries an id another friend has; assigning a fresh one", "id", id, "nick", c.nick)
		c.remark = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c.remark), id))
	}
	if id, ok := sess.dir.friendID(c.userName); ok && sess.dir.remarkTried(c.userName) {
		// Known this session, and WeChat would not keep the remark: don't
		// ask it again for every message.
		return platformName + ":" + id, nil
	}
	id, err := a.idByNick(ctx, c.nick)
	if err != nil {
		return "", err
	}
	shared := false
	if id != "" {
		if other, ok := sess.dir.friend(id); ok && other != c.userName {
			// Two friends share a nickname: the mapping belongs to the
			// other one, so this one needs an id of its own (and only its
			// remark name can carry it).
			id, shared = "", true
		}
	}
	if id == "" {
		if id, err = a.nextID(ctx); err != nil {
			return "", err
		}
		if !shared {
			if err := a.rememberNick(ctx, id, c.nick); err != nil {
				return "", err
			}
		}
		a.log.Info("wechat: new person", "id", id, "nick", c.nick)
	}
	sess.dir.markRemarkTried(c.userName)
	remark := id
	if c.remark != "" {
		remark = truncateRunes(id+" "+c.remark, 30)
	}
	err = sess.bot.Caller.WebWxOplog(ctx, &openwechat.CallerWebWxOplogOptions{
		RemarkName: remark, ToUserName: c.userName, BaseRequest: sess.req,
	})
	if err != nil {
		a.log.Warn("wechat: could not set the remark name; the id follows the nickname instead", "id", id, "nick", c.nick, "err", redact(err))
	} else {
		c.remark = remark
	}
	sess.dir.putFriend(c, id)
	return platformName + ":" + id, nil
}

// knownFriendIDLocked looks a friend's id up without assigning one.
func (a *Adapter) knownFriendIDLocked(ctx context.Context, c contact) string {
	if id, ok := remarkID(c.remark); ok {
		return id
	}
	id, err := a.idByNick(ctx, c.nick)
	if err != nil {
		return ""
	}
	return id
}

func (a *Adapter) idByNick(ctx context.Context, nick string) (string, error) {
	if nick == "" {
		return "", nil
	}
	v, err := a.state.GetState(ctx, keyByNick+nick)
	if err != nil {
		return "", fmt.Errorf("read wechat identity: %w", err)
	}
	return string(v), nil
}

func (a *Adapter) rememberNick(ctx context.Context, id, nick string) error {
	if nick == "" {
		return nil
	}
	cur, err := a.state.GetState(ctx, keyByNick+nick)
	if err != nil {
		return fmt.Errorf("read wechat identity: %w", err)
	}
	if string(cur) == id {
		return nil
	}
	if err := a.state.PutState(ctx, keyByNick+nick, []byte(id)); err != nil {
		return fmt.Errorf("save wechat identity: %w", err)
	}
	if err := a.state.PutState(ctx, keyByID+id, []byte(nick)); err != nil {
		return fmt.Errorf("save wechat identity: %w", err)
	}
	return nil
}

// loadFriends puts the friends from the contact list in the directory.
// Every id seen in a remark moves the counter past it, so an id typed by
// hand or restored from a backup is never handed out again; two friends
// with the same id keep it for the one the store knows (or the first),
// and the others get fresh ids, which the admins are told about.
func (a *Adapter) loadFriends(ctx context.Context, sess *session, friends []contact) {
	a.idMu.Lock()
	byID := map[string][]contact{}
	var order []string
	for _, c := range friends {
		id, ok := remarkID(c.remark)
		if !ok {
			sess.dir.putFriend(c, a.knownFriendIDLocked(ctx, c))
			continue
		}
		if err := a.noteSeenID(ctx, id); err != nil {
			a.log.Warn("wechat: could not record a seen id", "id", id, "err", err)
		}
		if _, seen := byID[id]; !seen {
			order = append(order, id)
		}
		byID[id] = append(byID[id], c)
	}
	type moved struct{ from, to, nick, keeper string }
	var notices []moved
	for _, id := range order {
		cs := byID[id]
		keep := 0
		if len(cs) > 1 {
			if nick, err := a.state.GetState(ctx, keyByID+id); err == nil && len(nick) > 0 {
				for i, c := range cs {
					if c.nick == string(nick) {
						keep = i
						break
					}
				}
			}
		}
		sess.dir.putFriend(cs[keep], id)
		for i, c := range cs {
			if i == keep {
				continue
			}
			fresh, err := a.nextID(ctx)
			if err != nil {
				a.log.Error("wechat: two friends share an id and no fresh one could be assigned", "id", id, "err", err)
				sess.dir.putFriend(c, "")
				continue
			}
			if err := a.rememberNick(ctx, fresh, c.nick); err != nil {
				a.log.Warn("wechat: could not store a fresh id", "id", fresh, "err", err)
			}
			remark := fresh
			if rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c.remark), id)); rest != "" {
				remark = truncateRunes(fresh+" "+rest, 30)
			}
			err = sess.bot.Caller.WebWxOplog(ctx, &openwechat.CallerWebWxOplogOptions{RemarkName: remark, ToUserName: c.userName, BaseRequest: sess.req})
			if err != nil {
				a.log.Warn("wechat: could not rewrite the remark of a friend with a duplicate id", "id", fresh, "err", redact(err))
			} else {
				c.remark = remark
			}
			sess.dir.markRemarkTried(c.userName)
			sess.dir.putFriend(c, fresh)
			notices = append(notices, moved{from: id, to: fresh, nick: c.nick, keeper: cs[keep].nick})
		}
	}
	a.idMu.Unlock()
	for _, n := range notices {
		text := fmt.Sprintf("WeChat id collision: friends %q and %q both had %s in their remark name (typed by hand or restored from a backup). %q keeps %s; %q is now %s (wechat:%s). Check that roles and admins: entries for wechat:%s name the right person.",
			n.keeper, n.nick, n.from, n.keeper, n.from, n.nick, n.to, n.to, n.from)
		a.log.Warn("wechat: duplicate id in remarks; newcomer got a fresh id", "id", n.from, "fresh", n.to, "nick", n.nick)
		if a.opts.OnAdminNotice != nil {
			a.opts.OnAdminNotice(ctx, text)
		}
	}
}

// noteSeenID moves the id counter to at least id's number. Called with
// idMu held.
func (a *Adapter) noteSeenID(ctx context.Context, id string) error {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "LL-"))
	if err != nil {
		return nil
	}
	v, err := a.state.GetState(ctx, keySeq)
	if err != nil {
		return fmt.Errorf("read wechat id sequence: %w", err)
	}
	if cur, _ := strconv.Atoi(string(v)); cur >= n {
		return nil
	}
	if err := a.state.PutState(ctx, keySeq, []byte(strconv.Itoa(n))); err != nil {
		return fmt.Errorf("save wechat id sequence: %w", err)
	}
	return nil
}

func (a *Adapter) nextID(ctx context.Context) (string, error) {
	v, err := a.state.GetState(ctx, keySeq)
	if err != nil {
		return "", fmt.Errorf("read wechat id sequence: %w", err)
	}
	n, _ := strconv.Atoi(string(v))
	n++
	if err := a.state.PutState(ctx, keySeq, []byte(strconv.Itoa(n))); err != nil {
		return "", fmt.Errorf("save wechat id sequence: %w", err)
	}
	return fmt.Sprintf("LL-%04d", n), nil
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// refreshContacts loads friends and groups into the session's directory,
// calling WeChat directly with the session's keys: the library's own contact
// cache belongs to its sync goroutine.
func (a *Adapter) refreshContacts(ctx context.Context, sess *session) error {
	all, err := sess.bot.Caller.WebWxGetContact(ctx, sess.info)
	if err != nil {
		return fmt.Errorf("get contacts: %w", redact(err))
	}
	seen := map[string]bool{}
	var groups openwechat.Members
	addGroup := func(u *openwechat.User) {
		if strings.HasPrefix(u.UserName, "@@") && !seen[u.UserName] {
			seen[u.UserName] = true
			groups = append(groups, u)
		}
	}
	var friends []contact
	for _, u := range all {
		switch {
		case strings.HasPrefix(u.UserName, "@@"):
			addGroup(u)
		case strings.HasPrefix(u.UserName, "@") && u.VerifyFlag == 0 && u.UserName != sess.self:
			friends = append(friends, contactOf(u))
		}
	}
	a.loadFriends(ctx, sess, friends)
	// Recent chats from init include groups not saved to contacts.
	if r := sess.bot.Storage.Response; r != nil {
		for _, u := range r.ContactList {
			addGroup(u)
		}
	}
	var named []contact
	for start := 0; start < len(groups); start += 50 {
		end := min(start+50, len(groups))
		detail, err := sess.bot.Caller.WebWxBatchGetContact(ctx, groups[start:end], sess.req)
		if err != nil {
			return fmt.Errorf("get group members: %w", redact(err))
		}
		for _, u := range detail {
			c := contactOf(u)
			sess.dir.putGroup(c)
			if c.nick != "" {
				named = append(named, c)
			}
		}
	}
	a.checkRenames(ctx, sess, named)
	return nil
}

// groupPrint is the member set of a group (nicknames, sorted, bot excluded),
// used to recognise a group after a rename by hand.
func groupPrint(c contact, self string) []string {
	var out []string
	for _, m := range c.members {
		if m.userName != self {
			out = append(out, m.nick)
		}
	}
	slices.Sort(out)
	return out
}

func similar(a, b []string) bool {
	if len(a) < 2 || len(b) < 2 {
		return false
	}
	set := map[string]bool{}
	for _, x := range a {
		set[x] = true
	}
	both := 0
	for _, x := range b {
		if set[x] {
			both++
		}
	}
	union := len(a) + len(b) - both
	return float64(both)/float64(union) >= 0.8
}

func (a *Adapter) loadGroups(ctx context.Context) (map[string][]string, error) {
	v, err := a.state.GetState(ctx, keyGroups)
	if err != nil {
		return nil, fmt.Errorf("read known wechat groups: %w", err)
	}
	known := map[string][]string{}
	if v != nil {
		if err := json.Unmarshal(v, &known); err != nil {
			return nil, fmt.Errorf("decode known wechat groups: %w", err)
		}
	}
	return known, nil
}

func (a *Adapter) saveGroups(ctx context.Context, known map[string][]string) error {
	v, err := json.Marshal(known)
	if err != nil {
		return fmt.Errorf("encode known wechat groups: %w", err)
	}
	if err := a.state.PutState(ctx, keyGroups, v); err != nil {
		return fmt.Errorf("save known wechat groups: %w", err)
	}
	return nil
}

// checkRenames compares the groups seen now with the ones seen before. A
// known name that vanished while a new name with the same members appeared
// is a group renamed by hand: its chat ref no longer matches, so admins are
// told how to re-bind it.
func (a *Adapter) checkRenames(ctx context.Context, sess *session, now []contact) {
	type rename struct{ from, to string }
	var found []rename
	a.groupsMu.Lock()
	known, err := a.loadGroups(ctx)
	if err != nil {
		a.groupsMu.Unlock()
		a.log.Warn("wechat: rename check skipped", "err", err)
		return
	}
	current := map[string][]string{}
	for _, c := range now {
		current[c.nick] = groupPrint(c, sess.self)
	}
	for oldName, oldPrint := range known {
		if _, still := current[oldName]; still {
			continue
		}
		for newName, newPrint := range current {
			if _, wasKnown := known[newName]; wasKnown || !similar(oldPrint, newPrint) {
				continue
			}
			found = append(found, rename{oldName, newName})
			break
		}
	}
	for name, p := range current {
		known[name] = p
	}
	err = a.saveGroups(ctx, known)
	a.groupsMu.Unlock()
	if err != nil {
		a.log.Warn("wechat: could not remember groups", "err", err)
	}
	// Outside the lock: the notice goes through the engine.
	for _, r := range found {
		a.reportRename(ctx, r.from, r.to)
	}
}

func (a *Adapter) reportRename(ctx context.Context, oldName, newName string) {
	text := fmt.Sprintf("WeChat group %q seems to have been renamed to %q by hand. Lifeline keys WeChat groups by name, so chat ref wechat:%s no longer reaches it. Rename the group back to %q, or change wechat:%s to wechat:%s in the groups section of the config and restart.",
		oldName, newName, oldName, oldName, oldName, newName)
	a.log.Warn("wechat: group renamed by hand; its binding is broken", "old", oldName, "new", newName)
	if a.opts.OnAdminNotice != nil {
		a.opts.OnAdminNotice(ctx, text)
	}
}

// noteGroupRename records a rename the bot did itself, so it is not
// reported as one done by hand.
func (a *Adapter) noteGroupRename(ctx context.Context, oldName, newName string) {
	a.groupsMu.Lock()
	defer a.groupsMu.Unlock()
	known, err := a.loadGroups(ctx)
	if err != nil {
		return
	}
	if p, ok := known[oldName]; ok {
		delete(known, oldName)
		known[newName] = p
		_ = a.saveGroups(ctx, known)
	}
}

// noteGroup remembers a group's members when it is first seen.
func (a *Adapter) noteGroup(ctx context.Context, sess *session, c contact) {
	if c.nick == "" {
		return
	}
	a.groupsMu.Lock()
	defer a.groupsMu.Unlock()
	known, err := a.loadGroups(ctx)
	if err != nil {
		return
	}
	if _, ok := known[c.nick]; ok {
		return
	}
	known[c.nick] = groupPrint(c, sess.self)
	_ = a.saveGroups(ctx, known)
}
