package media

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

// fetchTimeout bounds one download of a relayed item.
const fetchTimeout = 90 * time.Second

// Prepare readies a relay for the outbox just before it is sent. A relay
// whose original is on the destination's own platform goes as it is (the
// platform copies it). One from another platform is fetched from there
// into data_dir/media/<case>/ (once: later sends reuse the file) and sent
// as that file. When the item can never be fetched (the platform cannot
// download, the file is too big or gone), the relay becomes a text note
// saying so and where the original is, so volunteers know to look there.
// A transient failure is returned and the outbox retries.
func (s *Service) Prepare(ctx context.Context, caseID int64, m platform.OutMessage) (platform.OutMessage, error) {
	att := m.Attachment
	if att == nil || att.CopyOf == nil || platform.PlatformOf(att.CopyOf.Chat) == platform.PlatformOf(m.Chat) {
		return m, nil
	}
	path, err := s.fetch(ctx, caseID, *att.CopyOf)
	if errors.Is(err, platform.ErrPermanent) {
		s.env.Log.Warn("relay: media cannot be fetched; sending a note instead", "case", caseID, "from", att.CopyOf.Chat, "to", m.Chat, "err", err)
		lang := s.env.Language
		var chat *store.Chat
		if err := s.env.Store.View(ctx, func(tx *store.Tx) error {
			var err error
			chat, err = tx.Chat(m.Chat)
			return err
		}); err == nil {
			lang = s.env.Lang(chat)
		}
		note := i18n.T(lang, "(The %s could not be fetched from %s to show here: %v. It is in that chat; ask the asker to send it again if you cannot reach it.)",
			i18n.MediaKind(lang, string(att.Kind)), s.env.ChatName(att.CopyOf.Chat), err)
		m.Attachment = nil
		m.Text = strings.TrimSpace(m.Text + "\n" + note)
		return m, nil
	}
	if err != nil {
		return m, err
	}
	copied := *att
	copied.CopyOf, copied.Path = nil, path
	if copied.Name == "" {
		copied.Name = filepath.Base(path)
	}
	m.Attachment = &copied
	return m, nil
}

// fetch returns the local file of the media item of message ref on case
// caseID, downloading it from its platform the first time.
func (s *Service) fetch(ctx context.Context, caseID int64, ref platform.MessageRef) (string, error) {
	if s.opts.Dir == "" {
		return "", platform.Permanent(errors.New("no media directory is configured"))
	}
	var rec *store.CaseMedia
	err := s.env.Store.View(ctx, func(tx *store.Tx) error {
		c, err := tx.Case(caseID)
		if err != nil {
			return err
		}
		for i := range c.Media {
			if c.Media[i].Chat == ref.Chat && c.Media[i].Msg == ref.ID {
				rec = &c.Media[i]
			}
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) || err == nil && rec == nil {
		return "", platform.Permanent(fmt.Errorf("case %d has no media item %s/%s (purged?)", caseID, ref.Chat, ref.ID))
	}
	if err != nil {
		return "", fmt.Errorf("read case %d: %w", caseID, err)
	}
	path := s.filePath(caseID, *rec)
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		return path, nil
	}
	name := platform.PlatformOf(ref.Chat)
	p, ok := s.env.Platform(name)
	if !ok {
		return "", platform.Permanent(fmt.Errorf("platform %s is not enabled", name))
	}
	fetcher, ok := p.(platform.MediaFetcher)
	if !ok {
		return "", platform.Permanent(fmt.Errorf("%s cannot download media", name))
	}
	fctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	md := platform.Media{Kind: platform.MediaKind(rec.Kind), Ref: rec.Ref, MIME: rec.MIME, Name: rec.Name, Size: rec.Size}
	data, err := fetcher.FetchMedia(fctx, md, s.opts.MaxFetch)
	if err != nil {
		return "", fmt.Errorf("fetch %s of case %d from %s: %w", rec.Kind, caseID, name, err)
	}
	if err := writeFile(path, data); err != nil {
		return "", err
	}
	return path, nil
}

// filePath is where the file of one media item of a case is kept:
// <dir>/<case>/<platform>-<message id><ext>.
func (s *Service) filePath(caseID int64, rec store.CaseMedia) string {
	id := safe(platform.PlatformOf(rec.Chat) + "-" + platform.LocalID(rec.Chat) + "-" + rec.Msg)
	return filepath.Join(s.opts.Dir, strconv.FormatInt(caseID, 10), id+ext(rec))
}

// safe keeps letters, digits, '-' and '_' of a name (chat names may be
// Chinese or hold slashes), bounded in length.
func safe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 100 {
			break
		}
	}
	return b.String()
}

// ext is a file extension people's apps open: from the name, else the kind.
func ext(rec store.CaseMedia) string {
	if e := filepath.Ext(rec.Name); len(e) > 1 && len(e) <= 6 && safe(e[1:]) == e[1:] {
		return e
	}
	switch {
	case rec.MIME == "audio/ogg" || rec.Kind == "voice" && rec.MIME == "":
		return ".ogg"
	case rec.MIME == "audio/mpeg":
		return ".mp3"
	case strings.HasPrefix(rec.MIME, "image/png"):
		return ".png"
	case rec.Kind == "photo" || strings.HasPrefix(rec.MIME, "image/"):
		return ".jpg"
	case rec.Kind == "video":
		return ".mp4"
	}
	return ".bin"
}

// writeFile writes data atomically, readable by this user only: a relayed
// voice note is personal data.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create media directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".fetch-*")
	if err != nil {
		return fmt.Errorf("store media file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("store media file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("store media file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("store media file: %w", err)
	}
	return nil
}

// Sweep deletes the media files of cases whose personal data retention
// has purged (and of cases that no longer exist), and returns how many
// cases' files it removed. Files follow the case's retention: they are
// deleted within one sweep of the purge.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	if s.opts.Dir == "" {
		return 0, nil
	}
	entries, err := os.ReadDir(s.opts.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("list media directory: %w", err)
	}
	var gone []string
	err = s.env.Store.View(ctx, func(tx *store.Tx) error {
		for _, e := range entries {
			id, err := strconv.ParseInt(e.Name(), 10, 64)
			if err != nil || !e.IsDir() {
				continue // not ours
			}
			c, err := tx.Case(id)
			switch {
			case errors.Is(err, store.ErrNotFound):
				gone = append(gone, e.Name())
			case err != nil:
				return err
			case c.Purged:
				gone = append(gone, e.Name())
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sweep media files: %w", err)
	}
	for _, name := range gone {
		if err := os.RemoveAll(filepath.Join(s.opts.Dir, name)); err != nil {
			return 0, fmt.Errorf("remove media files of case %s: %w", name, err)
		}
	}
	if len(gone) > 0 {
		s.env.Log.Info("media files of purged cases removed", "cases", len(gone))
	}
	return len(gone), nil
}

// sweepEvery is how often Run sweeps; the store purges daily.
const sweepEvery = time.Hour

// Run sweeps purged cases' files at start and every hour until ctx ends,
// and runs the OCR worker when there is one.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	if w := s.opts.OCR; w != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.Run(ctx)
		}()
	}
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.env.Log.Error("media sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
