package wechattest

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// mediaMsg is a non-text message as WeChat web's sync delivers it.
type mediaMsg struct {
	msgType, appType       int
	content                string // raw, before HTML escaping
	url                    string
	voiceLen, playLen      int
	imgW, imgH             int
	fileName, fileSize     string
	mediaID, encryFileName string
	raw                    bool // content is sent as is, not HTML-escaped
}

func (mm *mediaMsg) apply(m map[string]any) {
	m["MsgType"] = mm.msgType
	m["AppMsgType"] = mm.appType
	m["Content"] = html.EscapeString(mm.content)
	if mm.raw {
		m["Content"] = mm.content
	}
	m["Url"] = mm.url
	m["VoiceLength"] = mm.voiceLen
	m["PlayLength"] = mm.playLen
	m["ImgWidth"], m["ImgHeight"] = mm.imgW, mm.imgH
	m["FileName"], m["FileSize"] = mm.fileName, mm.fileSize
	m["MediaId"], m["EncryFileName"] = mm.mediaID, mm.encryFileName
}

// pushMedia queues a media message from fromID, in group groupID or ("")
// privately, storing data for download under its message id.
func (s *Server) pushMedia(groupID, fromID string, mm *mediaMsg, data []byte) string {
	kind := "private"
	if groupID != "" {
		kind = "group"
	}
	id := s.push(pending{kind: kind, groupID: groupID, fromID: fromID, media: mm})
	if data != nil {
		s.mu.Lock()
		s.media[id] = append([]byte(nil), data...)
		if mm.mediaID != "" {
			s.media[mm.mediaID] = s.media[id]
		}
		s.mu.Unlock()
	}
	return id
}

// PushVoice queues a voice note of length d; groupID "" sends it privately.
func (s *Server) PushVoice(groupID, fromID string, data []byte, d time.Duration) string {
	return s.pushMedia(groupID, fromID, &mediaMsg{msgType: 34, voiceLen: int(d / time.Millisecond),
		content: `<msg><voicemsg voicelength="` + strconv.Itoa(int(d/time.Millisecond)) + `"/></msg>`}, data)
}

// PushImage queues a picture.
func (s *Server) PushImage(groupID, fromID string, data []byte, w, h int) string {
	return s.pushMedia(groupID, fromID, &mediaMsg{msgType: 3, imgW: w, imgH: h, content: `<msg><img length="` + strconv.Itoa(len(data)) + `"/></msg>`}, data)
}

// PushVideo queues a video of length d.
func (s *Server) PushVideo(groupID, fromID string, data []byte, d time.Duration) string {
	return s.pushMedia(groupID, fromID, &mediaMsg{msgType: 43, playLen: int(d / time.Second), content: `<msg><videomsg/></msg>`}, data)
}

// PushFile queues a file.
func (s *Server) PushFile(groupID, fromID, name string, data []byte) string {
	s.mu.Lock()
	s.nextMedia++
	mediaID := fmt.Sprintf("@crypt_media_%d", s.nextMedia)
	s.mu.Unlock()
	content := fmt.Sprintf(`<msg><appmsg appid="" sdkver="0"><title>%s</title><type>6</type><appattach><totallen>%d</totallen><attachid>%s</attachid><fileext>%s</fileext></appattach></appmsg></msg>`,
		xmlText(name), len(data), mediaID, strings.TrimPrefix(name[strings.LastIndex(name, ".")+1:], "."))
	return s.pushMedia(groupID, fromID, &mediaMsg{msgType: 49, appType: 6, content: content, fileName: name,
		fileSize: strconv.Itoa(len(data)), mediaID: mediaID, encryFileName: "enc_" + name}, data)
}

// PushLocation queues a shared location: a text message whose Url is a
// map link with the coordinates and whose content starts with the label.
func (s *Server) PushLocation(groupID, fromID string, lat, lon float64, label string) string {
	s.mu.Lock()
	next := s.nextMsg + 1
	s.mu.Unlock()
	return s.pushMedia(groupID, fromID, &mediaMsg{msgType: 1, raw: true,
		url:     fmt.Sprintf("http://apis.map.qq.com/uri/v1/geocoder?coord=%g,%g", lat, lon),
		content: html.EscapeString(label) + ":<br/>/cgi-bin/mmwebwx-bin/webwxgetpubliclinkimg?url=xxx&msgid=" + strconv.FormatInt(next, 10) + "&pictype=location"}, nil)
}

// PushLink queues a shared web link (an article card).
func (s *Server) PushLink(groupID, fromID, title, link, desc string) string {
	content := fmt.Sprintf(`<msg><appmsg appid="" sdkver="0"><title>%s</title><des>%s</des><type>5</type><url>%s</url></appmsg></msg>`,
		xmlText(title), xmlText(desc), xmlText(link))
	return s.pushMedia(groupID, fromID, &mediaMsg{msgType: 49, appType: 5, content: content, fileName: title, url: link}, nil)
}

// PushCard queues a contact card (名片) of someone called nick.
func (s *Server) PushCard(groupID, fromID, nick, alias string) string {
	content := fmt.Sprintf(`<msg username="v1_card_%s" nickname="%s" alias="%s" sex="2" province="" city="" />`, xmlText(alias), xmlText(nick), xmlText(alias))
	return s.pushMedia(groupID, fromID, &mediaMsg{msgType: 42, content: content}, nil)
}

// RecordItem is one message inside a merged chat record.
type RecordItem struct {
	Sender string
	Text   string
	At     time.Time
	Photo  bool // an image item instead of text
}

// PushRecord queues a merged chat record (聊天记录) of items.
func (s *Server) PushRecord(groupID, fromID, title string, items []RecordItem) string {
	var list, des strings.Builder
	for i, it := range items {
		typ, desc := "1", it.Text
		if it.Photo {
			typ, desc = "2", "[图片]"
		}
		fmt.Fprintf(&list, `<dataitem datatype="%s" dataid="%d"><datadesc>%s</datadesc><sourcename>%s</sourcename><sourcetime>%s</sourcetime></dataitem>`,
			typ, i, xmlText(desc), xmlText(it.Sender), it.At.In(time.FixedZone("CST", 8*3600)).Format("2006-1-2 15:04"))
		if i < 3 {
			fmt.Fprintf(&des, "%s: %s\n", it.Sender, desc)
		}
	}
	record := fmt.Sprintf(`<recordinfo><title>%s</title><datalist count="%d">%s</datalist></recordinfo>`, xmlText(title), len(items), list.String())
	content := fmt.Sprintf(`<msg><appmsg appid="" sdkver="0"><title>%s</title><des>%s</des><type>19</type><url>https://support.weixin.qq.com/cgi-bin/mmsupport-bin/readtemplate?t=page/favorite_record__w_unsupport</url><recorditem><![CDATA[%s]]></recorditem></appmsg></msg>`,
		xmlText(title), xmlText(strings.TrimSpace(des.String())), record)
	return s.pushMedia(groupID, fromID, &mediaMsg{msgType: 49, appType: 19, content: content, fileName: title}, nil)
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// SetRemark sets a person's remark name as someone would by hand on the
// phone (or a backup restore would), for example a duplicate "LL-0001".
func (s *Server) SetRemark(id, remark string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.people[id]; ok {
		p.remark = remark
	}
}

// getMedia serves voice, image and video downloads by message id (with the
// live session's skey) and file downloads by media id (with the data
// ticket). An unknown or foreign item answers an empty body, as WeChat does.
func (s *Server) getMedia(w http.ResponseWriter, r *http.Request, name string) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	var key string
	switch name {
	case "webwxgetmsgimg":
		key = q.Get("MsgID")
		if q.Get("skey") != s.skey || !s.loggedIn {
			key = ""
		}
	case "webwxgetmedia":
		key = q.Get("mediaid")
		if q.Get("webwx_data_ticket") != "dt"+s.sid || !s.loggedIn {
			key = ""
		}
	default:
		key = q.Get("msgid")
		if q.Get("skey") != s.skey || !s.loggedIn {
			key = ""
		}
	}
	data := s.media[key]
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(data)
}

// uploadMedia takes webwxuploadmedia's multipart chunks and answers the
// last one with a MediaId.
func (s *Server) uploadMedia(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		writeJSON(w, map[string]any{"BaseResponse": baseResp(1)})
		return
	}
	var req struct {
		BaseRequest   baseRequest
		ClientMediaId int64
		TotalLen      int64
	}
	_ = json.Unmarshal([]byte(r.FormValue("uploadmediarequest")), &req)
	f, _, err := r.FormFile("filename")
	if err != nil {
		writeJSON(w, map[string]any{"BaseResponse": baseResp(1)})
		return
	}
	data, _ := io.ReadAll(f)
	f.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.validLocked(req.BaseRequest.Sid) || r.FormValue("webwx_data_ticket") != "dt"+s.sid {
		writeJSON(w, map[string]any{"BaseResponse": baseResp(1101)})
		return
	}
	buf := s.uploads[req.ClientMediaId]
	if buf == nil {
		buf = &[]byte{}
		s.uploads[req.ClientMediaId] = buf
	}
	*buf = append(*buf, data...)
	chunks, _ := strconv.Atoi(r.FormValue("chunks"))
	chunk, _ := strconv.Atoi(r.FormValue("chunk"))
	if chunks > 1 && chunk+1 < chunks {
		writeJSON(w, map[string]any{"BaseResponse": baseResp(0)})
		return
	}
	delete(s.uploads, req.ClientMediaId)
	s.nextMedia++
	id := fmt.Sprintf("@up_media_%d", s.nextMedia)
	s.media[id] = *buf
	s.media[id+"#name"] = []byte(r.FormValue("name"))
	writeJSON(w, map[string]any{"BaseResponse": baseResp(0), "MediaId": id, "StartPos": len(*buf)})
}

// sendMedia records an image (webwxsendmsgimg) or a file app message
// (webwxsendappmsg) with the bytes uploaded for it.
func (s *Server) sendMedia(w http.ResponseWriter, r *http.Request, name string) {
	var body struct {
		BaseRequest baseRequest
		Msg         struct {
			Type         int
			Content      string
			MediaId      string
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
	rec := Sent{ToID: id, Group: isGroup, At: time.Now()}
	mediaID := body.Msg.MediaId
	if name == "webwxsendappmsg" {
		var app struct {
			Title  string `xml:"title"`
			Attach string `xml:"appattach>attachid"`
		}
		if err := xml.Unmarshal([]byte(body.Msg.Content), &app); err != nil {
			writeJSON(w, map[string]any{"BaseResponse": baseResp(1)})
			return
		}
		rec.Kind, rec.FileName, mediaID = "file", app.Title, app.Attach
	} else {
		rec.Kind = "image"
		rec.FileName = string(s.media[mediaID+"#name"])
	}
	data, found := s.media[mediaID]
	if !found {
		writeJSON(w, map[string]any{"BaseResponse": baseResp(1)})
		return
	}
	rec.Data = append([]byte(nil), data...)
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
