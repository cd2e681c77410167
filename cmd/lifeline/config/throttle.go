package config

import "time"

// Throttle limits how often the bot answers one person or one group
// (commands and private replies). Pleas are never throttled.
type Throttle struct {
	Enabled     bool     `yaml:"enabled"`      // default true
	Sender      int      `yaml:"sender"`       // answers per minute to one person (default 20)
	Chat        int      `yaml:"chat"`         // answers to commands per minute in one group (default 60)
	NoticeEvery Duration `yaml:"notice_every"` // least time between two "slow down" notices to one person (default 10m)
}

// checkThrottle fills the throttle's defaults and validates it.
func (c *Config) checkThrottle(bad func(key, format string, args ...any)) {
	t := &c.Throttle
	if !c.has("throttle.enabled") {
		t.Enabled = true
	}
	if !c.has("throttle.sender") {
		t.Sender = 20
	}
	if !c.has("throttle.chat") {
		t.Chat = 60
	}
	if !c.has("throttle.notice_every") {
		t.NoticeEvery = Duration(10 * time.Minute)
	}
	if t.Sender < 1 || t.Sender > 10000 {
		bad("throttle.sender", "must be 1 to 10000, not %d (answers per minute to one person; set throttle.enabled: false to turn the limit off)", t.Sender)
	}
	if t.Chat < 1 || t.Chat > 10000 {
		bad("throttle.chat", "must be 1 to 10000, not %d (answers per minute in one group)", t.Chat)
	}
	if t.NoticeEvery.D() < time.Minute || t.NoticeEvery.D() > 24*time.Hour {
		bad("throttle.notice_every", "%s is not between 1m and 24h (least time between two notices to one person)", t.NoticeEvery.D())
	}
}
