package bot

import (
	"context"

	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/media"
)

// mediaOptions is MediaOptions.
type mediaOptions struct {
	// Dir keeps the files fetched to relay media to another platform
	// (data_dir/media); they are deleted with the case's personal data.
	// Empty: such relays become a text note saying where the original is.
	Dir string
	// OCR reads text in images from intake groups and private chats; nil
	// turns OCR off.
	OCR media.Recognizer
	// OCRLimits bound the OCR worker (time per image, size, queue).
	OCRLimits media.WorkerOptions
	// EmergencyNumbers is the number askers are told to call when a life
	// is in danger, by reply language ("zh", "en"; Traditional Chinese
	// falls back to "zh"). Missing: 120.
	EmergencyNumbers map[string]string
}

func newMedia(ev *env.Env, o MediaOptions) *media.Service {
	mo := media.Options{Dir: o.Dir}
	if o.OCR != nil {
		mo.OCR = media.NewWorker(ev, o.OCR, o.OCRLimits)
	}
	return media.New(ev, mo)
}

// wireMedia hands the media service and the emergency numbers to the
// parts that talk to people.
func (e *Engine) wireMedia(o MediaOptions) {
	e.intake.SetMedia(e.media)
	e.intake.SetRefresher(e.actions)
	e.asker.SetMedia(e.media)
	numbers := o.EmergencyNumbers
	e.asker.SetEmergency(func(lang string) string {
		if n := numbers[lang]; n != "" {
			return n
		}
		if i18n.IsChinese(lang) {
			return numbers["zh"]
		}
		return ""
	})
}

// RecognizeQueued reads the images waiting for OCR now and records what
// they say, and returns how many it read; Run does this in the
// background. Tests call it to read images at a controlled point.
func (e *Engine) RecognizeQueued(ctx context.Context) int {
	if w := e.media.OCR(); w != nil {
		return w.RunQueued(ctx)
	}
	return 0
}

// OCRStats are the OCR worker's counters (zero when OCR is off).
func (e *Engine) OCRStats() media.WorkerStats {
	if w := e.media.OCR(); w != nil {
		return w.Stats()
	}
	return media.WorkerStats{}
}

// SweepMedia deletes the relay files of cases whose personal data was
// purged, and reports for how many cases; Run does this hourly.
func (e *Engine) SweepMedia(ctx context.Context) (int, error) { return e.media.Sweep(ctx) }
