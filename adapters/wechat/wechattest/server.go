// Package wechattest is a fake WeChat web (UOS desktop) server for tests.
//
// It speaks the wire protocol that github.com/eatmoreapple/openwechat v1.4.8
// uses — QR uuid, login polling, new-login-page cookies and ticket, init,
// contact lists, sync check and sync, sending, group creation and renaming,
// remark names, friend verification, push login and logout — closely enough
// that the real client runs against it unchanged when every request is sent
// to Server.URL (see wechat.Options.Endpoint).
//
// People and groups have stable test ids ("alice", "g1"); the UserNames the
// client sees are derived from the id and a login epoch, and every new login
// (QR or push, not a hot login) starts a new epoch, so user names rotate the
// way they do on the real service.
package wechattest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Sent is one text message the client sent.
type Sent struct {
	// ToID is the test id of the receiving person or group.
	ToID string
	// ToName is the group's current name or the person's nickname.
	ToName string
	// Group is set when the message went to a group.
	Group bool
	Text  string
	At    time.Time
	// Kind is "text", "image" (webwxsendmsgimg) or "file" (an app
	// message with an uploaded attachment).
	Kind string
	// FileName and Data are the uploaded file, for images and files.
	FileName string
	Data     []byte
}

// Created is a group the client created.
type Created struct {
	ID      string
	Topic   string
	Members []string // test ids, not counting the bot
}

type person struct {
	id, nick string
	friend   bool
	remark   string
}

type group struct {
	id, name string
	members  []string // person ids; the bot is always a member
	saved    bool     // listed by webwxgetcontact ("saved to contacts")
}

type pending struct {
	kind    string // "group", "private", "friendreq"
	groupID string
	fromID  string
	text    string
	mention bool
	msgID   string
	at      time.Time
	media   *mediaMsg
}

// Server is the fake. Create it with New; it listens on 127.0.0.1.
type Server struct {
	srv *httptest.Server

	// PollWait is how long synccheck holds a request open when there is
	// nothing to deliver (the real service holds it about 25 s).
	PollWait time.Duration

	mu          sync.Mutex
	selfNick    string
	people      map[string]*person
	order       []string
	groups      map[string]*group
	gorder      []string
	epoch       int
	sid, skey   string
	loggedIn    bool
	uuids       map[string]bool
	tickets     map[string]bool
	queue       []pending
	wake        chan struct{}
	sent        []Sent
	created     []Created
	nextMsg     int64
	syncVal     int64
	expireNext  string // retcode synccheck returns next, then the session is dead
	pushLogin   bool
	forbid      string
	failSends   []int
	failCreate  int
	logins      int
	hotInits    int
	desktop     bool
	verified    []string
	renames     []string
	requests    map[string]int
	holdLogin   bool
	noRemarks   bool
	loginPolls  int
	sentWaiters []chan struct{}
	media       map[string][]byte // msg id or media id → content
	uploads     map[int64]*[]byte // ClientMediaId → bytes so far
	nextMedia   int
}

// New starts a fake server whose bot account is called selfNick.
func New(selfNick string) *Server {
	s := &Server{
		PollWait:  300 * time.Millisecond,
		selfNick:  selfNick,
		people:    map[string]*person{},
		groups:    map[string]*group{},
		uuids:     map[string]bool{},
		tickets:   map[string]bool{},
		wake:      make(chan struct{}),
		pushLogin: true,
		nextMsg:   1000,
		requests:  map[string]int{},
		media:     map[string][]byte{},
		uploads:   map[int64]*[]byte{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the address to use as wechat.Options.Endpoint.
func (s *Server) URL() string { return s.srv.URL }

// Close shuts the server down.
func (s *Server) Close() {
	s.mu.Lock()
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// AddFriend adds a friend of the bot account.
func (s *Server) AddFriend(id, nick string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addPerson(id, nick, true)
}

// AddStranger adds a person who is not the bot's friend (seen in groups).
func (s *Server) AddStranger(id, nick string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addPerson(id, nick, false)
}

func (s *Server) addPerson(id, nick string, friend bool) {
	if _, ok := s.people[id]; !ok {
		s.order = append(s.order, id)
	}
	s.people[id] = &person{id: id, nick: nick, friend: friend}
}

// AddGroup adds a group saved to the bot's contacts, with the given members
// (person ids) besides the bot.
func (s *Server) AddGroup(id, name string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[id]; !ok {
		s.gorder = append(s.gorder, id)
	}
	s.groups[id] = &group{id: id, name: name, members: append([]string(nil), members...), saved: true}
}

// RenameGroup renames a group as a person would by hand.
func (s *Server) RenameGroup(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.groups[id]; ok {
		g.name = name
	}
}

// GroupName returns a group's current name.
func (s *Server) GroupName(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.groups[id]; ok {
		return g.name
	}
	return ""
}

// PushGroupText queues a text message from a member in a group and returns
// its MsgId. mention makes it @ the bot.
func (s *Server) PushGroupText(groupID, fromID, text string, mention bool) string {
	return s.push(pending{kind: "group", groupID: groupID, fromID: fromID, text: text, mention: mention})
}

// PushText queues a private text message from a friend and returns its MsgId.
func (s *Server) PushText(fromID, text string) string {
	return s.push(pending{kind: "private", fromID: fromID, text: text})
}

// PushFriendRequest queues a friend request from a new person.
func (s *Server) PushFriendRequest(id, nick, text string) string {
	s.mu.Lock()
	if _, ok := s.people[id]; !ok {
		s.addPerson(id, nick, false)
	}
	s.mu.Unlock()
	return s.push(pending{kind: "friendreq", fromID: id, text: text})
}

// PushOwnText queues a message the bot account itself sent from the phone
// into a group; a client must ignore it.
func (s *Server) PushOwnText(groupID, text string) string {
	return s.push(pending{kind: "own", groupID: groupID, text: text})
}

func (s *Server) push(p pending) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextMsg++
	p.msgID = strconv.FormatInt(s.nextMsg, 10)
	p.at = time.Now()
	s.queue = append(s.queue, p)
	s.wakeLocked()
	return p.msgID
}

func (s *Server) wakeLocked() {
	close(s.wake)
	s.wake = make(chan struct{})
}

// ExpireSession makes the next sync check fail with retcode 1101 (login
// check failed) and kills the session, so a hot login fails too: the client
// has to log in anew, and user names rotate.
func (s *Server) ExpireSession() { s.ExpireSessionWith("1101") }

// ExpireSessionWith is ExpireSession with a chosen retcode (1100, 1101, 1102).
func (s *Server) ExpireSessionWith(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireNext = code
	s.wakeLocked()
}

// SetPushLogin enables or disables push (scan-free) login; when disabled the
// client must fall back to a QR scan.
func (s *Server) SetPushLogin(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pushLogin = on
}

// RefuseRemarks makes WeChat refuse to set remark names, as openwechat
// warns the real service may.
func (s *Server) RefuseRemarks(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noRemarks = on
}

// RenameGroupBy renames a group as member byID would in the app, with the
// system message WeChat posts in the group.
func (s *Server) RenameGroupBy(id, byID, name string) {
	s.mu.Lock()
	by := byID
	if p, ok := s.people[byID]; ok {
		by = p.nick
	}
	if g, ok := s.groups[id]; ok {
		g.name = name
	}
	s.mu.Unlock()
	s.push(pending{kind: "system", groupID: id, text: fmt.Sprintf("\"%s\"修改群名为“%s”", by, name)})
}

// SetHoldLogin makes QR login polling wait ("408") instead of confirming.
func (s *Server) SetHoldLogin(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holdLogin = on
}

// ForbidLogin makes the login page refuse the account with msg, as WeChat
// does for accounts barred from web login ("" allows again).
func (s *Server) ForbidLogin(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forbid = msg
}

// FailSends makes the next len(rets) sends fail with those BaseResponse
// codes (1205: operating too often).
func (s *Server) FailSends(rets ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failSends = append(s.failSends, rets...)
}

// FailCreate makes the next group creation fail with ret.
func (s *Server) FailCreate(ret int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failCreate = ret
}

// Sent returns the messages sent so far.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// SentTo returns the messages sent to one person or group id.
func (s *Server) SentTo(id string) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Sent
	for _, m := range s.sent {
		if m.ToID == id {
			out = append(out, m)
		}
	}
	return out
}

// SentChanged returns a channel closed at the next send.
func (s *Server) SentChanged() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := make(chan struct{})
	s.sentWaiters = append(s.sentWaiters, ch)
	return ch
}

// Created returns the groups the client created.
func (s *Server) Created() []Created {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Created(nil), s.created...)
}

// Remark returns the remark name the bot set on a person.
func (s *Server) Remark(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.people[id]; ok {
		return p.remark
	}
	return ""
}

// IsFriend reports whether a person is the bot's friend.
func (s *Server) IsFriend(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.people[id]
	return ok && p.friend
}

// UserName returns the current user name of a person or group id.
func (s *Server) UserName(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.groups[id]; ok {
		return s.userNameLocked("@@", id)
	}
	return s.userNameLocked("@", id)
}

// Logins counts new logins (QR or push); hot logins do not count.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// Inits counts webwxinit calls that succeeded (one per login of any kind).
func (s *Server) Inits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hotInits
}

// Desktop reports whether the last login used the UOS desktop mode.
func (s *Server) Desktop() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.desktop
}

// Requests counts requests by path suffix (for example "webwxsync").
func (s *Server) Requests(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[name]
}

// Renames lists the group renames the client asked for, as "old→new".
func (s *Server) Renames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.renames...)
}

func (s *Server) userNameLocked(prefix, id string) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s|%d", id, s.epoch)))
	return prefix + hex.EncodeToString(h[:12])
}

func (s *Server) selfUserName() string { return s.userNameLocked("@", "\x00self") }

// byUserName resolves a current user name to a person or group id.
func (s *Server) byUserName(u string) (id string, isGroup bool, ok bool) {
	if u == s.selfUserName() {
		return "", false, false
	}
	for gid := range s.groups {
		if s.userNameLocked("@@", gid) == u {
			return gid, true, true
		}
	}
	for pid := range s.people {
		if s.userNameLocked("@", pid) == u {
			return pid, false, true
		}
	}
	return "", false, false
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	if strings.HasPrefix(r.URL.Path, "/qrcode/") {
		name = "qrcode"
	}
	s.mu.Lock()
	s.requests[name]++
	s.mu.Unlock()
	switch name {
	case "jslogin":
		s.jslogin(w, r)
	case "qrcode":
		w.Header().Set("Content-Type", "image/jpeg")
		_, _ = w.Write([]byte("not a real image"))
	case "login":
		s.checkLogin(w, r)
	case "webwxnewloginpage":
		s.newLoginPage(w, r)
	case "webwxpushloginurl":
		s.pushLoginURL(w, r)
	case "webwxinit":
		s.init(w, r)
	case "webwxstatusnotify":
		s.ok(w, r)
	case "webwxgetcontact":
		s.getContact(w, r)
	case "webwxbatchgetcontact":
		s.batchGetContact(w, r)
	case "synccheck":
		s.syncCheck(w, r)
	case "webwxsync":
		s.sync(w, r)
	case "webwxsendmsg":
		s.sendMsg(w, r)
	case "webwxcreatechatroom":
		s.createChatRoom(w, r)
	case "webwxupdatechatroom":
		s.updateChatRoom(w, r)
	case "webwxoplog":
		s.oplog(w, r)
	case "webwxverifyuser":
		s.verifyUser(w, r)
	case "webwxgetvoice", "webwxgetmsgimg", "webwxgetvideo", "webwxgetmedia":
		s.getMedia(w, r, name)
	case "webwxuploadmedia":
		s.uploadMedia(w, r)
	case "webwxsendmsgimg", "webwxsendappmsg":
		s.sendMedia(w, r, name)
	case "webwxlogout":
		s.mu.Lock()
		s.loggedIn = false
		s.mu.Unlock()
		writeJSON(w, map[string]any{"BaseResponse": baseResp(0)})
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) jslogin(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextMsg++
	uuid := fmt.Sprintf("qr%04d==", s.nextMsg)
	s.uuids[uuid] = true
	s.desktop = strings.Contains(r.URL.Query().Get("redirect_uri"), "mod=desktop")
	fmt.Fprintf(w, `window.QRLogin.code = 200; window.QRLogin.uuid = "%s";`, uuid)
}

func (s *Server) checkLogin(w http.ResponseWriter, r *http.Request) {
	uuid := r.URL.Query().Get("uuid")
	s.mu.Lock()
	ok := s.uuids[uuid]
	hold := s.holdLogin
	s.loginPolls++
	s.mu.Unlock()
	if !ok {
		fmt.Fprint(w, "window.code=400;")
		return
	}
	if hold {
		select {
		case <-time.After(s.PollWait):
		case <-r.Context().Done():
		}
		fmt.Fprint(w, "window.code=408;")
		return
	}
	s.mu.Lock()
	delete(s.uuids, uuid)
	s.nextMsg++
	ticket := fmt.Sprintf("ticket%d", s.nextMsg)
	s.tickets[ticket] = true
	s.mu.Unlock()
	fmt.Fprintf(w, "window.code=200;\nwindow.redirect_uri=\"https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxnewloginpage?ticket=%s&uuid=%s&lang=zh_CN&scan=1700000000\";", ticket, uuid)
}

func (s *Server) newLoginPage(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.forbid != "" {
		fmt.Fprintf(w, "<error><ret>1203</ret><message>%s</message></error>", html.EscapeString(s.forbid))
		return
	}
	if !s.tickets[ticket] {
		fmt.Fprint(w, "<error><ret>1</ret><message>invalid ticket</message></error>")
		return
	}
	delete(s.tickets, ticket)
	s.desktop = s.desktop && r.Header.Get("extspam") != ""
	s.epoch++
	s.logins++
	s.loggedIn = true
	s.sid = fmt.Sprintf("sid%d", s.epoch)
	s.skey = fmt.Sprintf("@crypt_%d", s.epoch)
	s.expireNext = ""
	for _, c := range []string{"wxuin=1234567", "wxsid=" + s.sid, "webwx_data_ticket=dt" + s.sid} {
		k, v, _ := strings.Cut(c, "=")
		// Domain-wide, as WeChat sets them: the file host needs the ticket.
		http.SetCookie(w, &http.Cookie{Name: k, Value: v, Path: "/", Domain: "wx.qq.com"})
	}
	fmt.Fprintf(w, "<error><ret>0</ret><message></message><skey>%s</skey><wxsid>%s</wxsid><wxuin>1234567</wxuin><pass_ticket>pt%d</pass_ticket><isgrayscale>1</isgrayscale></error>",
		s.skey, s.sid, s.epoch)
}

func (s *Server) pushLoginURL(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.pushLogin {
		writeJSON(w, map[string]string{"ret": "1", "msg": "push login disabled"})
		return
	}
	s.nextMsg++
	uuid := fmt.Sprintf("push%04d==", s.nextMsg)
	s.uuids[uuid] = true
	writeJSON(w, map[string]string{"ret": "0", "msg": "all ok", "uuid": uuid})
}

type baseRequest struct {
	Uin      int64
	Sid      string
	Skey     string
	DeviceID string
}

func baseResp(ret int) map[string]any { return map[string]any{"Ret": ret, "ErrMsg": ""} }

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// validLocked reports whether a request carries the live session's sid.
func (s *Server) validLocked(sid string) bool {
	return s.loggedIn && sid == s.sid && s.expireNext == ""
}

func (s *Server) decode(r *http.Request, v any) bool {
	return json.NewDecoder(r.Body).Decode(v) == nil
}

// authed decodes a request body (which carries a BaseRequest) into v, locks
// the server and checks the session. On a dead session it answers ret 1101,
// as WeChat does, and returns false with the server unlocked; otherwise the
// caller holds s.mu and must unlock it.
func (s *Server) authed(w http.ResponseWriter, r *http.Request, v any) bool {
	raw, _ := io.ReadAll(r.Body)
	var base struct{ BaseRequest baseRequest }
	_ = json.Unmarshal(raw, &base)
	_ = json.Unmarshal(raw, v)
	s.mu.Lock()
	if !s.validLocked(base.BaseRequest.Sid) {
		s.mu.Unlock()
		writeJSON(w, map[string]any{"BaseResponse": baseResp(1101)})
		return false
	}
	return true
}

func (s *Server) syncKeyLocked() map[string]any {
	return map[string]any{"Count": 1, "List": []map[string]int64{{"Key": 1, "Val": s.syncVal}}}
}

func (s *Server) init(w http.ResponseWriter, r *http.Request) {
	var body struct{ BaseRequest baseRequest }
	if !s.authed(w, r, &body) {
		return
	}
	defer s.mu.Unlock()
	s.hotInits++
	var contacts []map[string]any
	for _, gid := range s.gorder {
		contacts = append(contacts, s.groupJSONLocked(s.groups[gid], false))
	}
	writeJSON(w, map[string]any{
		"BaseResponse": baseResp(0),
		"Count":        len(contacts),
		"ContactList":  contacts,
		"SyncKey":      s.syncKeyLocked(),
		"User":         map[string]any{"UserName": s.selfUserName(), "NickName": s.selfNick, "Uin": 1234567},
		"SKey":         s.skey,
	})
}

func (s *Server) ok(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{"BaseResponse": baseResp(0), "MsgID": ""})
}

func (s *Server) personJSONLocked(p *person) map[string]any {
	return map[string]any{"UserName": s.userNameLocked("@", p.id), "NickName": p.nick, "RemarkName": p.remark, "VerifyFlag": 0, "ContactFlag": 3}
}

func (s *Server) groupJSONLocked(g *group, withMembers bool) map[string]any {
	m := map[string]any{"UserName": s.userNameLocked("@@", g.id), "NickName": g.name, "VerifyFlag": 0, "MemberCount": len(g.members) + 1}
	if withMembers {
		list := []map[string]any{{"UserName": s.selfUserName(), "NickName": s.selfNick, "DisplayName": ""}}
		for _, pid := range g.members {
			if p, ok := s.people[pid]; ok {
				list = append(list, map[string]any{"UserName": s.userNameLocked("@", pid), "NickName": p.nick, "DisplayName": ""})
			}
		}
		m["MemberList"] = list
	}
	return m
}

func (s *Server) getContact(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loggedIn || r.URL.Query().Get("skey") != s.skey || s.expireNext != "" {
		writeJSON(w, map[string]any{"BaseResponse": baseResp(1101)})
		return
	}
	var list []map[string]any
	for _, pid := range s.order {
		if p := s.people[pid]; p.friend {
			list = append(list, s.personJSONLocked(p))
		}
	}
	for _, gid := range s.gorder {
		if g := s.groups[gid]; g.saved {
			list = append(list, s.groupJSONLocked(g, false))
		}
	}
	writeJSON(w, map[string]any{"BaseResponse": baseResp(0), "MemberCount": len(list), "MemberList": list, "Seq": 0})
}

func (s *Server) batchGetContact(w http.ResponseWriter, r *http.Request) {
	var body struct {
		BaseRequest baseRequest
		List        []struct{ UserName string }
	}
	if !s.authed(w, r, &body) {
		return
	}
	defer s.mu.Unlock()
	var list []map[string]any
	for _, item := range body.List {
		id, isGroup, ok := s.byUserName(item.UserName)
		switch {
		case !ok:
			list = append(list, map[string]any{"UserName": item.UserName})
		case isGroup:
			list = append(list, s.groupJSONLocked(s.groups[id], true))
		default:
			list = append(list, s.personJSONLocked(s.people[id]))
		}
	}
	writeJSON(w, map[string]any{"BaseResponse": baseResp(0), "Count": len(list), "ContactList": list})
}

func (s *Server) syncCheck(w http.ResponseWriter, r *http.Request) {
	sid := r.URL.Query().Get("sid")
	deadline := time.After(s.PollWait)
	for {
		s.mu.Lock()
		if code := s.expireNext; code != "" && sid == s.sid {
			// The session dies here: hot login with these cookies fails.
			s.loggedIn = false
			s.expireNext = ""
			s.sid = "dead"
			s.mu.Unlock()
			fmt.Fprintf(w, `window.synccheck={retcode:"%s",selector:"0"}`, code)
			return
		}
		if !s.loggedIn || sid != s.sid {
			s.mu.Unlock()
			fmt.Fprint(w, `window.synccheck={retcode:"1101",selector:"0"}`)
			return
		}
		if len(s.queue) > 0 {
			s.mu.Unlock()
			fmt.Fprint(w, `window.synccheck={retcode:"0",selector:"2"}`)
			return
		}
		wake := s.wake
		s.mu.Unlock()
		select {
		case <-wake:
		case <-deadline:
			fmt.Fprint(w, `window.synccheck={retcode:"0",selector:"0"}`)
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (s *Server) sync(w http.ResponseWriter, r *http.Request) {
	var body struct{ BaseRequest baseRequest }
	s.decode(r, &body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.validLocked(body.BaseRequest.Sid) {
		writeJSON(w, map[string]any{"BaseResponse": baseResp(1101), "AddMsgCount": 0})
		return
	}
	var msgs []map[string]any
	for _, p := range s.queue {
		msgs = append(msgs, s.renderLocked(p))
	}
	s.queue = nil
	s.syncVal++
	writeJSON(w, map[string]any{
		"BaseResponse": baseResp(0),
		"AddMsgCount":  len(msgs),
		"AddMsgList":   msgs,
		"SyncKey":      s.syncKeyLocked(),
		"SyncCheckKey": s.syncKeyLocked(),
	})
}

func (s *Server) renderLocked(p pending) map[string]any {
	m := map[string]any{
		"MsgId":      p.msgID,
		"NewMsgId":   0,
		"MsgType":    1,
		"CreateTime": p.at.Unix(),
		"ToUserName": s.selfUserName(),
	}
	if p.media != nil {
		p.media.apply(m)
		content := m["Content"].(string)
		switch {
		case p.groupID != "":
			m["FromUserName"] = s.userNameLocked("@@", p.groupID)
			m["Content"] = s.userNameLocked("@", p.fromID) + ":<br/>" + content
		default:
			m["FromUserName"] = s.userNameLocked("@", p.fromID)
		}
		return m
	}
	switch p.kind {
	case "group":
		text := p.text
		if p.mention {
			text = "@" + s.selfNick + "\u2005" + text
		}
		m["FromUserName"] = s.userNameLocked("@@", p.groupID)
		m["Content"] = s.userNameLocked("@", p.fromID) + ":<br/>" + strings.ReplaceAll(html.EscapeString(text), "\n", "<br/>")
	case "system":
		m["MsgType"] = 10000
		m["FromUserName"] = s.userNameLocked("@@", p.groupID)
		m["Content"] = html.EscapeString(p.text)
	case "own":
		m["FromUserName"] = s.selfUserName()
		m["ToUserName"] = s.userNameLocked("@@", p.groupID)
		m["Content"] = html.EscapeString(p.text)
	case "private":
		m["FromUserName"] = s.userNameLocked("@", p.fromID)
		m["Content"] = strings.ReplaceAll(html.EscapeString(p.text), "\n", "<br/>")
	case "friendreq":
		pp := s.people[p.fromID]
		m["MsgType"] = 37
		m["FromUserName"] = "fmessage"
		m["Content"] = fmt.Sprintf(`&lt;msg fromusername="%s" fromnickname="%s" content="%s"/&gt;`, p.fromID, pp.nick, html.EscapeString(p.text))
		m["RecommendInfo"] = map[string]any{
			"UserName": s.userNameLocked("@", p.fromID),
			"NickName": pp.nick,
			"Content":  p.text,
			"Ticket":   "v4_ticket_" + p.fromID,
		}
	}
	return m
}

func (s *Server) sendMsg(w http.ResponseWriter, r *http.Request) {
	var body struct {
		BaseRequest baseRequest
		Msg         struct {
			Type         int
			Content      string
			FromUserName string
			ToUserName   string
			LocalID      string
		}
	}
	if !s.authed(w, r, &body) {
		return
	}
	defer s.mu.Unlock()
	if len(s.failSends) > 0 {
		ret := s.failSends[0]
		s.failSends = s.failSends[1:]
		writeJSON(w, map[string]any{"BaseResponse": baseResp(ret)})
		return
	}
	id, isGroup, ok := s.byUserName(body.Msg.ToUserName)
	if !ok || body.Msg.FromUserName != s.selfUserName() {
		writeJSON(w, map[string]any{"BaseResponse": baseResp(1204)})
		return
	}
	rec := Sent{ToID: id, Group: isGroup, Text: body.Msg.Content, At: time.Now(), Kind: "text"}
	if isGroup {
		rec.ToName = s.groups[id].name
	} else {
		rec.ToName = s.people[id].nick
	}
	s.sent = append(s.sent, rec)
	for _, ch := range s.sentWaiters {
		close(ch)
	}
	s.sentWaiters = nil
	s.nextMsg++
	writeJSON(w, map[string]any{"BaseResponse": baseResp(0), "MsgID": strconv.FormatInt(s.nextMsg, 10), "LocalID": body.Msg.LocalID})
}

func (s *Server) createChatRoom(w http.ResponseWriter, r *http.Request) {
	var body struct {
		BaseRequest baseRequest
		MemberList  []struct{ UserName string }
		Topic       string
	}
	if !s.authed(w, r, &body) {
		return
	}
	defer s.mu.Unlock()
	if s.failCreate != 0 {
		ret := s.failCreate
		s.failCreate = 0
		writeJSON(w, map[string]any{"BaseResponse": baseResp(ret)})
		return
	}
	var members []string
	for _, m := range body.MemberList {
		id, isGroup, ok := s.byUserName(m.UserName)
		if !ok || isGroup || !s.people[id].friend {
			writeJSON(w, map[string]any{"BaseResponse": baseResp(1)})
			return
		}
		members = append(members, id)
	}
	if len(members) < 2 {
		writeJSON(w, map[string]any{"BaseResponse": baseResp(1)})
		return
	}
	s.nextMsg++
	gid := fmt.Sprintf("room%d", s.nextMsg)
	s.groups[gid] = &group{id: gid, name: body.Topic, members: members}
	s.gorder = append(s.gorder, gid)
	s.created = append(s.created, Created{ID: gid, Topic: body.Topic, Members: append([]string(nil), members...)})
	writeJSON(w, map[string]any{"BaseResponse": baseResp(0), "ChatRoomName": s.userNameLocked("@@", gid), "MemberCount": len(members) + 1})
}

func (s *Server) updateChatRoom(w http.ResponseWriter, r *http.Request) {
	var body struct {
		BaseRequest   baseRequest
		ChatRoomName  string
		NewTopic      string
		AddMemberList string
	}
	if !s.authed(w, r, &body) {
		return
	}
	defer s.mu.Unlock()
	gid, isGroup, ok := s.byUserName(body.ChatRoomName)
	if !ok || !isGroup {
		writeJSON(w, map[string]any{"BaseResponse": baseResp(1)})
		return
	}
	g := s.groups[gid]
	switch r.URL.Query().Get("fun") {
	case "modtopic":
		s.renames = append(s.renames, g.name+"→"+body.NewTopic)
		g.name = body.NewTopic
	case "addmember", "invitemember":
		for _, u := range strings.Split(body.AddMemberList, ",") {
			if id, isG, ok := s.byUserName(u); ok && !isG {
				g.members = append(g.members, id)
			}
		}
	default:
		// delmember does nothing on the real service either.
	}
	writeJSON(w, map[string]any{"BaseResponse": baseResp(0)})
}

func (s *Server) oplog(w http.ResponseWriter, r *http.Request) {
	var body struct {
		BaseRequest baseRequest
		CmdId       int
		RemarkName  string
		UserName    string
	}
	if !s.authed(w, r, &body) {
		return
	}
	defer s.mu.Unlock()
	id, isGroup, ok := s.byUserName(body.UserName)
	if !ok || isGroup || body.CmdId != 2 || s.noRemarks {
		writeJSON(w, map[string]any{"BaseResponse": baseResp(1)})
		return
	}
	s.people[id].remark = body.RemarkName
	writeJSON(w, map[string]any{"BaseResponse": baseResp(0)})
}

func (s *Server) verifyUser(w http.ResponseWriter, r *http.Request) {
	var body struct {
		BaseRequest    baseRequest
		VerifyUserList []struct{ Value, VerifyUserTicket string }
	}
	if !s.authed(w, r, &body) {
		return
	}
	defer s.mu.Unlock()
	for _, v := range body.VerifyUserList {
		if id, _, ok := s.byUserName(v.Value); ok {
			s.people[id].friend = true
			s.verified = append(s.verified, id)
		}
	}
	writeJSON(w, map[string]any{"BaseResponse": baseResp(0)})
}

// Members returns the member ids of a group, sorted.
func (s *Server) Members(groupID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[groupID]
	if !ok {
		return nil
	}
	out := append([]string(nil), g.members...)
	sort.Strings(out)
	return out
}
