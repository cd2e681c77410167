package config

import (
	"strings"
	"testing"
	"time"
)

func TestThrottleDefaultsAndValidation(t *testing.T) {
	const base = "platforms: {console: {enabled: true}}\n"
	c, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if th := c.Throttle; !th.Enabled || th.Sender != 20 || th.Chat != 60 || th.NoticeEvery.D() != 10*time.Minute {
		t.Errorf("defaults: %+v", th)
	}
	c, err = Parse([]byte(base + "throttle: {enabled: false, sender: 5}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Throttle.Enabled || c.Throttle.Sender != 5 || c.Throttle.Chat != 60 {
		t.Errorf("written values: %+v", c.Throttle)
	}
	for _, tt := range []struct{ yaml, key string }{
		{"throttle: {sender: 0}", "throttle.sender"},
		{"throttle: {chat: -1}", "throttle.chat"},
		{"throttle: {notice_every: 5s}", "throttle.notice_every"},
	} {
		_, err := Parse([]byte(base + tt.yaml + "\n"))
		if err == nil || !strings.Contains(err.Error(), tt.key) {
			t.Errorf("%s: err %v, want one naming %s", tt.yaml, err, tt.key)
		}
	}
}
