package media

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/platform"
)

// WorkerOptions bound the OCR worker. Zero values take the defaults.
type WorkerOptions struct {
	// Timeout bounds reading one image (default 30s).
	Timeout time.Duration
	// MaxBytes is the largest image read (default 10 MB); bigger ones are
	// skipped.
	MaxBytes int64
	// Queue is how many images may wait (default 32); beyond it new ones
	// are dropped, counted and logged, so a flood of pictures cannot delay
	// the text pleas or exhaust memory.
	Queue int
}

// Job is one image to read.
type Job struct {
	Msg   platform.Message
	Media platform.Media
	// Done gets the recognised text, or why there is none. It runs on the
	// worker's goroutine, one job at a time.
	Done func(ctx context.Context, text string, err error)
}

// Worker reads images one at a time, so OCR never takes more than one
// core from the bot.
type Worker struct {
	env  *env.Env
	rec  Recognizer
	opts WorkerOptions
	jobs chan Job

	done, failed, dropped atomic.Uint64
}

// WorkerStats count what the worker did since start.
type WorkerStats struct {
	Done, Failed, Dropped uint64
	Queued                int
}

// NewWorker makes an OCR worker around rec.
func NewWorker(e *env.Env, rec Recognizer, o WorkerOptions) *Worker {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 10 << 20
	}
	if o.Queue <= 0 {
		o.Queue = 32
	}
	return &Worker{env: e, rec: rec, opts: o, jobs: make(chan Job, o.Queue)}
}

// Submit queues a job; it reports false when the queue is full and the
// image is dropped (counted and logged).
func (w *Worker) Submit(j Job) bool {
	select {
	case w.jobs <- j:
		return true
	default:
		n := w.dropped.Add(1)
		w.env.Log.Warn("OCR queue full: image not read", "chat", j.Msg.Chat, "msg", j.Msg.ID, "dropped_total", n, "queue", w.opts.Queue)
		return false
	}
}

// Stats are the worker's counters.
func (w *Worker) Stats() WorkerStats {
	return WorkerStats{Done: w.done.Load(), Failed: w.failed.Load(), Dropped: w.dropped.Load(), Queued: len(w.jobs)}
}

// Run reads queued images until ctx ends. Images still queued then are
// logged as not read.
func (w *Worker) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			if n := len(w.jobs); n > 0 {
				w.env.Log.Warn("stopping with images not read by OCR", "queued", n)
			}
			return
		case j := <-w.jobs:
			w.process(ctx, j)
		}
	}
}

// RunQueued reads the images queued now, in order, and returns how many;
// Run does this in the background. Tests call it to read images at a
// controlled point.
func (w *Worker) RunQueued(ctx context.Context) int {
	n := 0
	for {
		select {
		case j := <-w.jobs:
			w.process(ctx, j)
			n++
		default:
			return n
		}
	}
}

func (w *Worker) process(ctx context.Context, j Job) {
	text, err := w.read(ctx, j)
	if err != nil {
		w.failed.Add(1)
		w.env.Log.Warn("OCR: image not read", "chat", j.Msg.Chat, "msg", j.Msg.ID, "err", err)
	} else {
		w.done.Add(1)
		w.env.Log.Debug("OCR: image read", "chat", j.Msg.Chat, "msg", j.Msg.ID, "runes", len([]rune(text)))
	}
	if j.Done != nil {
		j.Done(ctx, text, err)
	}
}

func (w *Worker) read(ctx context.Context, j Job) (string, error) {
	if j.Media.Size > w.opts.MaxBytes {
		return "", fmt.Errorf("image of %d bytes is over the OCR limit of %d", j.Media.Size, w.opts.MaxBytes)
	}
	name := j.Msg.Platform()
	p, ok := w.env.Platform(name)
	if !ok {
		return "", fmt.Errorf("platform %s is not enabled", name)
	}
	fetcher, ok := p.(platform.MediaFetcher)
	if !ok {
		return "", fmt.Errorf("%s cannot download images", name)
	}
	ctx, cancel := context.WithTimeout(ctx, w.opts.Timeout+fetchTimeout)
	defer cancel()
	data, err := fetcher.FetchMedia(ctx, j.Media, w.opts.MaxBytes)
	if err != nil {
		return "", fmt.Errorf("fetch image: %w", err)
	}
	rctx, rcancel := context.WithTimeout(ctx, w.opts.Timeout)
	defer rcancel()
	return w.rec.Recognize(rctx, data)
}
