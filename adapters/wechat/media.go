package wechat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/eatmoreapple/openwechat"

	"github.com/lifeline-aid/lifeline/bot"
)

// ErrTooLarge is wrapped by FetchMedia when a file is over the limit.
var ErrTooLarge = errors.New("file too large")

var _ bot.MediaFetcher = (*Adapter)(nil)

// FetchMedia downloads a voice note, image, video or file a person sent.
// WeChat serves it only to the session that received it: after a re-login
// the download fails for good. It fails with ErrTooLarge rather than return
// more than max bytes (max <= 0 means 25 MB).
func (a *Adapter) FetchMedia(ctx context.Context, m bot.Media, max int64) ([]byte, error) {
	if max <= 0 {
		max = 25 << 20
	}
	v, err := url.ParseQuery(m.Ref)
	if err != nil || v.Get("t") == "" || v.Get("id") == "" {
		return nil, bot.Permanent(fmt.Errorf("wechat: fetch media: bad ref %q", m.Ref))
	}
	if m.Size > max {
		return nil, fmt.Errorf("wechat: fetch %s: %d bytes, limit %d: %w", m.Kind, m.Size, max, bot.Permanent(ErrTooLarge))
	}
	sess := a.session()
	if sess == nil {
		return nil, fmt.Errorf("wechat: fetch %s: %w", m.Kind, ErrNotLoggedIn)
	}
	return a.download(ctx, sess, v.Get("t"), &openwechat.Message{MsgId: v.Get("id"), MediaId: v.Get("m"),
		EncryFileName: v.Get("e"), FromUserName: v.Get("f")}, max)
}

// download fetches one media item of kind ("voice", "img", "video",
// "file") with the session's keys.
func (a *Adapter) download(ctx context.Context, sess *session, kind string, msg *openwechat.Message, max int64) ([]byte, error) {
	c := sess.bot.Caller.Client
	var resp *http.Response
	var err error
	switch kind {
	case "voice":
		resp, err = c.WebWxGetVoice(ctx, msg, sess.info)
	case "img":
		resp, err = c.WebWxGetMsgImg(ctx, msg, sess.info)
	case "video":
		resp, err = c.WebWxGetVideo(ctx, msg, sess.info)
	case "file":
		resp, err = c.WebWxGetMedia(ctx, msg, sess.info)
	default:
		return nil, bot.Permanent(fmt.Errorf("wechat: fetch media: unknown kind %q", kind))
	}
	if err != nil {
		return nil, fmt.Errorf("wechat: fetch %s %s: %w", kind, msg.MsgId, redact(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		err := fmt.Errorf("wechat: fetch %s %s: HTTP %d", kind, msg.MsgId, resp.StatusCode)
		if resp.StatusCode >= 400 && resp.StatusCode < 500 {
			return nil, bot.Permanent(err)
		}
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("wechat: fetch %s %s: %w", kind, msg.MsgId, redact(err))
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("wechat: fetch %s %s: over %d bytes: %w", kind, msg.MsgId, max, bot.Permanent(ErrTooLarge))
	}
	if len(data) == 0 {
		// WeChat answers an expired or foreign item with an empty body.
		return nil, bot.Permanent(fmt.Errorf("wechat: fetch %s %s: empty answer (from an earlier session?)", kind, msg.MsgId))
	}
	return data, nil
}

// maxRelay is the largest media item relayed by CopyOf.
const maxRelay = 25 << 20

// sendAttachment uploads a file (an image as a picture, anything else as a
// file) to a chat whose user name is to. CopyOf relays a voice note, image
// or video a person sent in this session: WeChat web cannot forward, so it
// is downloaded and uploaded again. Called with the send queue held.
func (a *Adapter) sendAttachment(ctx context.Context, sess *session, to string, att *bot.Attachment) (string, error) {
	var data []byte
	name := att.Name
	switch {
	case att.Path != "" && att.CopyOf == nil:
		var err error
		if data, err = os.ReadFile(att.Path); err != nil {
			return "", bot.Permanent(fmt.Errorf("read attachment: %w", err))
		}
		if name == "" {
			name = filepath.Base(att.Path)
		}
	case att.CopyOf != nil && att.Path == "":
		if bot.PlatformOf(att.CopyOf.Chat) != platformName {
			return "", bot.Permanent(fmt.Errorf("relay %s: not a wechat message", att.CopyOf.Chat))
		}
		kind, ext := "", ""
		switch att.Kind {
		case bot.MediaVoice, bot.MediaAudio:
			kind, ext = "voice", ".mp3"
		case bot.MediaPhoto, bot.MediaSticker:
			kind, ext = "img", ".jpg"
		case bot.MediaVideo:
			kind, ext = "video", ".mp4"
		default:
			return "", bot.Permanent(fmt.Errorf("relay a wechat %s: only voice, photos and videos can be relayed by message id; fetch the file and send it by path", att.Kind))
		}
		var err error
		if data, err = a.download(ctx, sess, kind, &openwechat.Message{MsgId: att.CopyOf.ID}, maxRelay); err != nil {
			return "", err
		}
		if name == "" {
			name = string(att.Kind) + "-" + att.CopyOf.ID + ext
		}
	default:
		return "", bot.Permanent(errors.New("an attachment needs exactly one of path and copy_of"))
	}
	// The library names the upload after its file, so a temporary file
	// carries the name people will see.
	dir, err := os.MkdirTemp("", "lifeline-wechat-*")
	if err != nil {
		return "", fmt.Errorf("stage attachment: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, safeName(name))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("stage attachment: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("stage attachment: %w", err)
	}
	defer f.Close()
	var sent *openwechat.SentMessage
	if att.Kind == bot.MediaPhoto && looksLikeImage(data) {
		sent, err = sess.bot.Caller.WebWxSendImageMsg(ctx, f, &openwechat.CallerWebWxSendImageMsgOptions{
			FromUserName: sess.self, ToUserName: to, BaseRequest: sess.req, LoginInfo: sess.info})
	} else {
		sent, err = sess.bot.Caller.WebWxSendFile(ctx, f, &openwechat.CallerWebWxSendFileOptions{
			FromUserName: sess.self, ToUserName: to, BaseRequest: sess.req, LoginInfo: sess.info})
	}
	if err != nil {
		return "", a.classify(sess, redact(err))
	}
	return sent.MsgId, nil
}

// looksLikeImage reports JPEG, PNG, GIF and WebP data: anything else is
// sent as a file, which WeChat shows whatever it is.
func looksLikeImage(b []byte) bool {
	return bytes.HasPrefix(b, []byte("\xff\xd8\xff")) || bytes.HasPrefix(b, []byte("\x89PNG")) ||
		bytes.HasPrefix(b, []byte("GIF8")) || len(b) > 12 && string(b[8:12]) == "WEBP"
}

// safeName keeps a file name usable on disk.
func safeName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, filepath.Base(name))
	if name == "" || name == "." || name == ".." {
		return "attachment"
	}
	return name
}
