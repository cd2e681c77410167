package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
	"github.com/lifeline-aid/lifeline/bot/media"
	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
)

// mediaOptions wires relays, OCR and the emergency numbers from cfg. OCR
// is on only when its program and language data are there; start-up says
// which, and why not.
func mediaOptions(ctx context.Context, cfg *config.Config, log *slog.Logger) bot.MediaOptions {
	o := bot.MediaOptions{Dir: cfg.DataPath("media"), EmergencyNumbers: cfg.EmergencyNumbers()}
	switch oc := cfg.OCR; oc.Engine {
	case "none":
		log.Info("OCR is off (ocr.engine: none): text in images is not read")
	default:
		t := media.Tesseract{Languages: oc.Languages}
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := t.Probe(pctx); err != nil {
			log.Warn("OCR is off: text in images is not read", "reason", err)
			break
		}
		o.OCR = t
		o.OCRLimits = media.WorkerOptions{Timeout: oc.Timeout.D(), MaxBytes: oc.MaxBytes, Queue: oc.Queue}
		log.Info("OCR is on", "engine", "tesseract", "languages", oc.Languages, "timeout", oc.Timeout.D(), "max_bytes", oc.MaxBytes)
	}
	log.Info("phone numbers and emergency number", "phone_region", cfg.Region(), "emergency_number", o.EmergencyNumbers)
	return o
}
