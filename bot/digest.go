package bot

import "context"

// zhDigestText holds the Chinese text of digests, stats, directory and export.
var zhDigestText = map[string]string{}

func cmdStats(cc *cmdCtx) error  { return refuse("stats are not available yet") }
func cmdDigest(cc *cmdCtx) error { return refuse("digests are not available yet") }

// runSchedules runs the configured digests until ctx ends.
func (e *Engine) runSchedules(ctx context.Context) error { <-ctx.Done(); return nil }
