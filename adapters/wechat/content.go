package wechat

import (
	"encoding/xml"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/lifeline-aid/lifeline/bot"
)

// WeChat app message types openwechat v1.4.8 has no name for.
const appMsgTypeRecord = 19 // a merged chat record (聊天记录)

// mapContent fills what a message says: text, media, a location, a
// contact card, a shared link or a merged chat record. It reports false
// for what carries nothing a person could ask with (red packets, transfer
// notices, recalls, system notices, real-time location sharing).
func (a *Adapter) mapContent(m *openwechat.Message, out *bot.Message) bool {
	switch {
	case m.IsLocation():
		loc, ok := parseLocation(m.Url, m.Content)
		if !ok {
			a.log.Warn("wechat: location message without coordinates; passed on as text", "msg", m.MsgId)
			out.Text = m.Content
			return out.Text != ""
		}
		out.Location = loc
	case m.MsgType == openwechat.MsgTypeText && m.Url != "":
		out.Text, out.Link = m.Content, &bot.Link{URL: m.Url}
	case m.IsText():
		out.Text = m.Content
	case m.IsPicture():
		out.Media = []bot.Media{{Kind: bot.MediaPhoto, Ref: mediaRef("img", m), MIME: "image/jpeg", Width: m.ImgWidth, Height: m.ImgHeight}}
	case m.IsVoice():
		out.Media = []bot.Media{{Kind: bot.MediaVoice, Ref: mediaRef("voice", m), MIME: "audio/mpeg", Duration: time.Duration(m.VoiceLength) * time.Millisecond}}
	case m.IsVideo():
		out.Media = []bot.Media{{Kind: bot.MediaVideo, Ref: mediaRef("video", m), MIME: "video/mp4", Duration: time.Duration(m.PlayLength) * time.Second,
			Width: m.ImgWidth, Height: m.ImgHeight}}
	case m.IsEmoticon():
		out.Media = []bot.Media{{Kind: bot.MediaSticker, Ref: mediaRef("img", m)}}
	case m.IsCard():
		card, err := m.Card()
		if err != nil || card.NickName == "" {
			a.log.Warn("wechat: unreadable contact card; skipped", "msg", m.MsgId, "err", err)
			return false
		}
		// A card names a WeChat account, not a phone: the engine gets the
		// name, and the asker is asked for a number as usual.
		out.Contact = &bot.Contact{Name: openwechat.FormatEmoji(card.NickName)}
	case m.IsMedia():
		return a.mapApp(m, out)
	default:
		return false
	}
	return true
}

// mapApp maps an app message (MsgType 49): a file, a shared link or a
// merged chat record.
func (a *Adapter) mapApp(m *openwechat.Message, out *bot.Message) bool {
	if m.IsTransferAccounts() || m.AppMsgType == openwechat.AppMsgTypeRedEnvelopes || m.AppMsgType == openwechat.AppMsgTypeRealtimeShareLocation {
		return false
	}
	data, err := m.MediaData()
	if err != nil {
		a.log.Warn("wechat: unreadable app message; passed on as text", "msg", m.MsgId, "err", err)
		out.Text = m.FileName
		return out.Text != ""
	}
	app := data.AppMsg
	title := strings.TrimSpace(app.Title)
	switch {
	case app.Type == openwechat.AppMsgTypeAttach || m.AppMsgType == openwechat.AppMsgTypeAttach:
		size, _ := strconv.ParseInt(strings.TrimSpace(app.AppAttach.TotalLen), 10, 64)
		if size == 0 {
			size, _ = strconv.ParseInt(m.FileSize, 10, 64)
		}
		name := title
		if name == "" {
			name = m.FileName
		}
		out.Media = []bot.Media{{Kind: bot.MediaDocument, Ref: mediaRef("file", m), Name: name, Size: size}}
	case int(app.Type) == appMsgTypeRecord || int(m.AppMsgType) == appMsgTypeRecord:
		items := parseRecord(app.RecordItem, app.Des)
		if len(items) == 0 {
			out.Text = title
			return title != ""
		}
		out.Record = items
		out.Forward = &bot.Forward{FromName: items[0].SenderName, At: items[0].At}
		// Today's triage reads Text: the record's words are there too, one
		// line per message, so a plea inside a record is heard.
		var b strings.Builder
		for _, it := range items {
			if it.Text == "" {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(it.SenderName + ": " + it.Text)
		}
		out.Text = b.String()
	default:
		link := strings.TrimSpace(app.URL)
		if link == "" && title == "" {
			return false
		}
		out.Link = &bot.Link{Title: title, URL: link, Desc: strings.TrimSpace(app.Des)}
		out.Text = title
	}
	return true
}

// mediaRef names a media item so FetchMedia can download it later in the
// same session: voice, images and videos by message id; files also need
// the media id, encrypted name and sender WeChat gave them.
func mediaRef(kind string, m *openwechat.Message) string {
	v := url.Values{"t": {kind}, "id": {m.MsgId}}
	if kind == "file" {
		v.Set("m", m.MediaId)
		v.Set("e", m.EncryFileName)
		v.Set("f", m.FromUserName)
	}
	return v.Encode()
}

// parseLocation reads a location message: the coordinates from its map
// link (…/geocoder?coord=31.23,121.47) and the place name from the first
// line of its content ("浦东新区川沙路:" followed by a map image path).
func parseLocation(link, content string) (*bot.Location, bool) {
	u, err := url.Parse(link)
	if err != nil {
		return nil, false
	}
	lat, lon, ok := strings.Cut(u.Query().Get("coord"), ",")
	if !ok {
		return nil, false
	}
	la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
	lo, err2 := strconv.ParseFloat(strings.TrimSpace(lon), 64)
	if err1 != nil || err2 != nil || la < -90 || la > 90 || lo < -180 || lo > 180 {
		return nil, false
	}
	// In a group the library has already cut "sender:<br/>" away, and
	// with it the newline after the label.
	name, _, _ := strings.Cut(content, "\n")
	name, _, _ = strings.Cut(name, "/cgi-bin/")
	name, _, _ = strings.Cut(name, "<br/>")
	name = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(name), ":"))
	return &bot.Location{Lat: la, Lon: lo, Address: name}, true
}

// recordInfo is the XML inside a merged chat record's <recorditem>.
type recordInfo struct {
	Items []struct {
		DataType   string `xml:"datatype,attr"`
		Desc       string `xml:"datadesc"`
		Title      string `xml:"datatitle"`
		SourceName string `xml:"sourcename"`
		SourceTime string `xml:"sourcetime"`
	} `xml:"datalist>dataitem"`
}

// chinaTime is the zone WeChat writes record times in.
var chinaTime = time.FixedZone("CST", 8*3600)

// parseRecord reads the items of a merged chat record, oldest first. When
// WeChat sent no item list, the summary ("张三: 救命\n李四: …") is used.
func parseRecord(raw, summary string) []bot.RecordItem {
	var out []bot.RecordItem
	var info recordInfo
	if raw = strings.TrimSpace(raw); raw != "" && xml.Unmarshal([]byte(raw), &info) == nil {
		for _, it := range info.Items {
			item := bot.RecordItem{SenderName: strings.TrimSpace(it.SourceName), Text: strings.TrimSpace(it.Desc)}
			for _, layout := range []string{"2006-1-2 15:04:05", "2006-1-2 15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
				if t, err := time.ParseInLocation(layout, strings.TrimSpace(it.SourceTime), chinaTime); err == nil {
					item.At = t
					break
				}
			}
			switch it.DataType {
			case "2":
				item.Media = &bot.Media{Kind: bot.MediaPhoto}
			case "4":
				item.Media = &bot.Media{Kind: bot.MediaVideo}
			case "8":
				item.Media = &bot.Media{Kind: bot.MediaDocument, Name: strings.TrimSpace(it.Title)}
			}
			out = append(out, item)
		}
		if len(out) > 0 {
			return out
		}
	}
	for _, line := range strings.Split(summary, "\n") {
		name, text, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			name, text, ok = strings.Cut(strings.TrimSpace(line), "：")
		}
		if ok && strings.TrimSpace(text) != "" {
			out = append(out, bot.RecordItem{SenderName: strings.TrimSpace(name), Text: strings.TrimSpace(text)})
		}
	}
	return out
}
