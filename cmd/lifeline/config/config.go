// Package config reads Lifeline's YAML configuration: strict decoding
// (unknown keys are errors), ${ENV} expansion for secrets, defaults, then
// validation that names the key and the problem.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/lifeline-aid/lifeline/triage"
)

// Config is the whole file. Every key is documented in config.example.yaml.
type Config struct {
	DataDir   string         `yaml:"data_dir"`
	Timezone  string         `yaml:"timezone"`
	Language  string         `yaml:"language"`
	Admins    []string       `yaml:"admins"`
	Platforms Platforms      `yaml:"platforms"`
	Groups    []Group        `yaml:"groups"`
	Triage    Triage         `yaml:"triage"`
	Digests   []Digest       `yaml:"digests"`
	Privacy   Privacy        `yaml:"privacy"`
	Workflow  Workflow       `yaml:"workflow"`
	Directory Directory      `yaml:"directory"`
	Outbox    Outbox         `yaml:"outbox"`
	Throttle  Throttle       `yaml:"throttle"`
	Backup    Backup         `yaml:"backup"`
	Log       Log            `yaml:"log"`
	HTTP      HTTP           `yaml:"http"`
	Notify    Notify         `yaml:"notify"`
	Board     Board          `yaml:"board"`
	Location  *time.Location `yaml:"-"`
	// missingEnv maps a key path to the environment variable it named that
	// was not set, so validation can say why a value is empty.
	missingEnv map[string]string
	// present holds the key paths written in the file, so a default fills
	// only what is missing and a written 0 or -1 is refused, not replaced.
	present map[string]bool

	Media `yaml:",inline"` // phone_region, emergency_number, ocr (media.go)
}

// Platforms holds one section per platform.
type Platforms struct {
	Console  Console  `yaml:"console"`
	Telegram Telegram `yaml:"telegram"`
	WeChat   WeChat   `yaml:"wechat"`
}

// Console is the terminal platform.
type Console struct {
	Enabled bool `yaml:"enabled"`
}

// Telegram configures the Telegram Bot API platform.
type Telegram struct {
	Enabled bool    `yaml:"enabled"`
	Token   Secret  `yaml:"token"`
	APIURL  string  `yaml:"api_url"`
	Mode    string  `yaml:"mode"`
	Webhook Webhook `yaml:"webhook"`
	Rooms   string  `yaml:"rooms"`
	Pool    []int64 `yaml:"pool"`
}

// Webhook is Telegram's push mode.
type Webhook struct {
	Listen string `yaml:"listen"`
	URL    string `yaml:"url"`
	Secret Secret `yaml:"secret"`
}

// WeChat configures the WeChat web (UOS) platform.
type WeChat struct {
	Enabled       bool     `yaml:"enabled"`
	SessionFile   string   `yaml:"session_file"`
	Endpoint      string   `yaml:"endpoint"`
	MinGap        Duration `yaml:"min_gap"`
	MaxGap        Duration `yaml:"max_gap"`
	HourlyCap     int      `yaml:"hourly_cap"`
	RoomsPerDay   int      `yaml:"rooms_per_day"`
	AcceptFriends bool     `yaml:"accept_friends"`
}

// Group binds a chat to a role.
type Group struct {
	Chat     string `yaml:"chat"`
	Role     string `yaml:"role"`
	Name     string `yaml:"name"`
	Language string `yaml:"language"`
}

// Triage sets the thresholds and an optional extra lexicon.
type Triage struct {
	AlertAt string `yaml:"alert_at"`
	RoomAt  string `yaml:"room_at"`
	Lexicon string `yaml:"lexicon"`
}

// Digest is one scheduled report.
type Digest struct {
	Name       string   `yaml:"name"`
	Schedule   string   `yaml:"schedule"`
	To         string   `yaml:"to"`
	Kind       string   `yaml:"kind"`
	StaleAfter Duration `yaml:"stale_after"`
}

// Privacy sets how long personal data is kept.
type Privacy struct {
	RetentionDays int `yaml:"retention_days"`
}

// Workflow tunes case handling.
type Workflow struct {
	StaleAfter        Duration `yaml:"stale_after"`
	BroadcastResolved bool     `yaml:"broadcast_resolved"`
	// EscalateAfter is how long an urgent case may stay unclaimed before
	// it is alerted again, by urgency (critical, high); 0 turns it off.
	EscalateAfter map[string]Duration `yaml:"escalate_after"`
}

// Directory is the channels directory.
type Directory struct {
	File           string   `yaml:"file"`
	AutoReply      bool     `yaml:"auto_reply"`
	AutoReplyEvery Duration `yaml:"auto_reply_every"`
}

// Outbox tunes delivery retries.
type Outbox struct {
	MaxAttempts int `yaml:"max_attempts"`
	// AlertBackoffMax caps the wait between two tries of an alert.
	AlertBackoffMax Duration `yaml:"alert_backoff_max"`
	// UnreachableAfter is how long a chat may fail before admins are told.
	UnreachableAfter Duration `yaml:"unreachable_after"`
}

// Backup schedules hot backups of the database.
type Backup struct {
	Schedule string `yaml:"schedule"`
	Dir      string `yaml:"dir"`
	Keep     int    `yaml:"keep"`
}

// Log sets the log level and format.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// HTTP is the one listener for health, readiness, metrics and the board.
type HTTP struct {
	Listen    string `yaml:"listen"`
	PublicURL string `yaml:"public_url"`
}

// Board is the volunteers' web board, served on http.listen.
type Board struct {
	Enabled bool `yaml:"enabled"`
}

// Notify is the webhook told when the platforms themselves fail.
type Notify struct {
	WebhookURL string `yaml:"webhook_url"`
	Format     string `yaml:"format"`
	Token      Secret `yaml:"token"`
}

// Secret is a string that never prints.
type Secret string

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// Duration is a time.Duration written as "90s", "2h".
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		return fmt.Errorf("%q is not a duration (like 90s, 30m, 2h)", n.Value)
	}
	*d = Duration(v)
	return nil
}

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Default is the configuration used without -config: the console platform
// and a data directory ./lifeline-data, with console chats bound as in
// config.example.yaml so a first run shows the whole flow.
func Default() *Config {
	c := &Config{
		DataDir:   "./lifeline-data",
		Timezone:  "Asia/Shanghai",
		Language:  "zh",
		Admins:    []string{"console:admin"},
		Platforms: Platforms{Console: Console{Enabled: true}},
		Groups: []Group{
			{Chat: "console:intake", Role: "intake", Name: "互助1群"},
			{Chat: "console:intake2", Role: "intake", Name: "互助2群"},
			{Chat: "console:volunteers", Role: "coordination", Name: "志愿者协调群"},
			{Chat: "console:broadcast", Role: "broadcast", Name: "转发大群"},
		},
	}
	if err := c.finish(); err != nil {
		panic(fmt.Sprintf("built-in default config is invalid: %v", err)) // a programming error
	}
	return c
}

// Load reads, expands, decodes and validates the file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	// Relative paths in the file are relative to the file, not to wherever
	// the bot was started from.
	c.resolvePaths(filepath.Dir(path))
	return c, nil
}

// Parse decodes and validates configuration text.
func Parse(data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	c := &Config{missingEnv: map[string]string{}, present: map[string]bool{}}
	if len(root.Content) == 0 {
		return nil, errors.New("the file is empty")
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		if doc.Kind == yaml.ScalarNode && doc.Tag == "!!null" {
			return nil, errors.New("the file is empty")
		}
		return nil, errors.New("the file must be a mapping of keys (data_dir: …, platforms: …)")
	}
	expandEnv(doc, "", c.missingEnv)
	// Keys and types are checked against Config first, so every mistake is
	// reported with its key rather than a line number and a Go type.
	if err := checkShape(doc, reflect.TypeFor[Config](), "", c.present); err != nil {
		return nil, err
	}
	expanded, err := yaml.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("re-encode config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		// checkShape should have caught it; never show a Go type name.
		return nil, fmt.Errorf("%s", goTypes.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), ""))
	}
	if err := c.finish(); err != nil {
		return nil, err
	}
	return c, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${VAR} in scalar values (never in keys), so a secret
// with YAML-special characters can't change the document's structure.
func expandEnv(n *yaml.Node, path string, missing map[string]string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			p := key
			if path != "" {
				p = path + "." + key
			}
			expandEnv(n.Content[i+1], p, missing)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			expandEnv(item, fmt.Sprintf("%s[%d]", path, i), missing)
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(m string) string {
			name := m[2 : len(m)-1]
			v, ok := os.LookupEnv(name)
			if !ok {
				missing[path] = name
			}
			return v
		})
		n.Tag, n.Style = "!!str", yaml.DoubleQuotedStyle
	}
}

func (c *Config) resolvePaths(base string) {
	if !filepath.IsAbs(c.DataDir) {
		c.DataDir = filepath.Join(base, c.DataDir)
	}
	if c.Triage.Lexicon != "" && !filepath.IsAbs(c.Triage.Lexicon) {
		c.Triage.Lexicon = filepath.Join(base, c.Triage.Lexicon)
	}
	if c.Directory.File != "" && !filepath.IsAbs(c.Directory.File) {
		c.Directory.File = filepath.Join(base, c.Directory.File)
	}
}

// DataPath returns a path inside the data directory (unless p is absolute).
func (c *Config) DataPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.DataDir, p)
}

// finish applies defaults and validates, joining every problem found.
func (c *Config) finish() error {
	c.defaults()
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		bad("timezone", "%q is not a known time zone (like Asia/Shanghai or UTC)", c.Timezone)
	} else {
		c.Location = loc
	}
	if c.Language != "zh" && c.Language != "en" {
		bad("language", "%q is not supported (zh or en)", c.Language)
	}
	p := c.Platforms
	if !p.Console.Enabled && !p.Telegram.Enabled && !p.WeChat.Enabled {
		bad("platforms", "no platform is enabled (enable console, telegram or wechat)")
	}
	if p.Telegram.Enabled {
		if p.Telegram.Token == "" {
			msg := "empty; set it to the token from @BotFather"
			if v, ok := c.missingEnv["platforms.telegram.token"]; ok {
				msg = fmt.Sprintf("environment variable %s is not set", v)
			}
			bad("platforms.telegram.token", "%s", msg)
		}
		if !strings.HasPrefix(p.Telegram.APIURL, "http://") && !strings.HasPrefix(p.Telegram.APIURL, "https://") {
			bad("platforms.telegram.api_url", "%q is not an http(s) URL", p.Telegram.APIURL)
		}
		switch p.Telegram.Mode {
		case "polling":
		case "webhook":
			if p.Telegram.Webhook.Listen == "" {
				bad("platforms.telegram.webhook.listen", "required in webhook mode (like :8443)")
			}
			if !strings.HasPrefix(p.Telegram.Webhook.URL, "https://") {
				bad("platforms.telegram.webhook.url", "required in webhook mode and must be https:// (Telegram only pushes to HTTPS)")
			}
			if p.Telegram.Webhook.Secret == "" {
				bad("platforms.telegram.webhook.secret", "required in webhook mode so strangers can't post fake updates")
			}
		default:
			bad("platforms.telegram.mode", "%q is not polling or webhook", p.Telegram.Mode)
		}
		switch p.Telegram.Rooms {
		case "topics", "none":
		case "pool":
			if len(p.Telegram.Pool) == 0 {
				bad("platforms.telegram.pool", "rooms: pool needs the ids of pre-created groups where the bot is admin")
			}
		default:
			bad("platforms.telegram.rooms", "%q is not topics, pool or none", p.Telegram.Rooms)
		}
	}
	if p.WeChat.Enabled && p.WeChat.Endpoint != "" && !strings.HasPrefix(p.WeChat.Endpoint, "http://") && !strings.HasPrefix(p.WeChat.Endpoint, "https://") {
		bad("platforms.wechat.endpoint", "%q is not an http(s) URL", p.WeChat.Endpoint)
	}
	switch {
	case p.WeChat.MinGap < 0:
		bad("platforms.wechat.min_gap", "%s is negative (the least pause between two sends)", p.WeChat.MinGap.D())
	case p.WeChat.MinGap.D() > p.WeChat.MaxGap.D():
		bad("platforms.wechat.min_gap", "%s is longer than max_gap %s", p.WeChat.MinGap.D(), p.WeChat.MaxGap.D())
	}
	if p.WeChat.HourlyCap < 1 {
		bad("platforms.wechat.hourly_cap", "must be at least 1, not %d (sends per hour)", p.WeChat.HourlyCap)
	}
	if p.WeChat.RoomsPerDay < 1 {
		bad("platforms.wechat.rooms_per_day", "must be at least 1, not %d (rescue groups created per day)", p.WeChat.RoomsPerDay)
	}
	for i, a := range c.Admins {
		if err := checkRef(a, false); err != nil {
			bad(fmt.Sprintf("admins[%d]", i), "%v", err)
		}
	}
	seen := map[string]int{}
	for i, g := range c.Groups {
		key := fmt.Sprintf("groups[%d]", i)
		if err := checkRef(g.Chat, true); err != nil {
			bad(key+".chat", "%v", err)
		}
		if j, dup := seen[g.Chat]; dup {
			bad(key+".chat", "%q is already bound in groups[%d]", g.Chat, j)
		}
		seen[g.Chat] = i
		if plat, _, _ := strings.Cut(g.Chat, ":"); checkRef(g.Chat, true) == nil && !c.platformEnabled(plat) {
			bad(key+".chat", "%q is a %s chat, but platforms.%s is not enabled (enable it, or remove this group)", g.Chat, plat, plat)
		}
		switch g.Role {
		case "intake", "coordination", "broadcast":
		default:
			bad(key+".role", "%q is not intake, coordination or broadcast", g.Role)
		}
		if g.Language != "" && g.Language != "zh" && g.Language != "en" {
			bad(key+".language", "%q is not zh or en", g.Language)
		}
	}
	if _, err := c.AlertAt(); err != nil {
		bad("triage.alert_at", "%v", err)
	}
	if _, err := c.RoomAt(); err != nil {
		bad("triage.room_at", "%v", err)
	}
	parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	names := map[string]bool{}
	for i, d := range c.Digests {
		key := fmt.Sprintf("digests[%d]", i)
		if d.Name == "" {
			bad(key+".name", "required")
		} else if names[d.Name] {
			bad(key+".name", "%q is used twice", d.Name)
		}
		names[d.Name] = true
		if _, err := parser.Parse(d.Schedule); err != nil {
			bad(key+".schedule", "%q is not a cron schedule (minute hour day month weekday, like \"0 8,20 * * *\"): %v", d.Schedule, err)
		}
		switch d.Kind {
		case "summary", "stale", "public":
		default:
			bad(key+".kind", "%q is not summary, stale or public", d.Kind)
		}
		switch {
		case d.To == "coordination" || d.To == "intake":
		case checkRef(d.To, true) != nil:
			bad(key+".to", "%q is not coordination, intake or a chat ref", d.To)
		default:
			if _, ok := seen[d.To]; !ok {
				bad(key+".to", "%q is not a chat in groups (list it there with its role, or use coordination or intake)", d.To)
			}
		}
		if c.has(key+".stale_after") && d.StaleAfter <= 0 {
			bad(key+".stale_after", "must be positive, not %s (leave it out to use workflow.stale_after)", d.StaleAfter.D())
		}
	}
	if c.Privacy.RetentionDays < 1 {
		bad("privacy.retention_days", "must be at least 1, not %d (days to keep personal data of finished cases)", c.Privacy.RetentionDays)
	}
	if c.Workflow.StaleAfter <= 0 {
		bad("workflow.stale_after", "must be positive, not %s (how long an open case may go without an update)", c.Workflow.StaleAfter.D())
	}
	if c.Directory.AutoReplyEvery <= 0 {
		bad("directory.auto_reply_every", "must be positive, not %s (least time between two automatic replies in a group)", c.Directory.AutoReplyEvery.D())
	}
	if c.Outbox.MaxAttempts < 1 {
		bad("outbox.max_attempts", "must be at least 1, not %d (tries before a failing message is given up; alerts are never given up on passing errors)", c.Outbox.MaxAttempts)
	}
	if c.Outbox.AlertBackoffMax <= 0 {
		bad("outbox.alert_backoff_max", "must be positive, not %s (longest wait between two tries of an alert)", c.Outbox.AlertBackoffMax.D())
	}
	if c.Outbox.UnreachableAfter <= 0 {
		bad("outbox.unreachable_after", "must be positive, not %s (how long a chat may fail before the admins are told)", c.Outbox.UnreachableAfter.D())
	}
	for level, d := range c.Workflow.EscalateAfter {
		if level != "critical" && level != "high" {
			bad("workflow.escalate_after."+level, "%q is not an urgency that alerts (critical or high)", level)
		} else if d < 0 {
			bad("workflow.escalate_after."+level, "must not be negative, not %s (0 turns escalation off)", d.D())
		}
	}
	if c.Backup.Keep < 1 {
		bad("backup.keep", "must be at least 1, not %d (newest scheduled backups kept)", c.Backup.Keep)
	}
	c.checkHTTP(bad)
	c.checkNotify(bad)
	if c.Backup.Schedule != "" {
		if _, err := parser.Parse(c.Backup.Schedule); err != nil {
			bad("backup.schedule", "%q is not a cron schedule: %v", c.Backup.Schedule, err)
		}
	}
	c.checkMedia(bad)
	c.checkThrottle(bad)
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "%q is not debug, info, warn or error", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		bad("log.format", "%q is not text or json", c.Log.Format)
	}
	return errors.Join(errs...)
}

func (c *Config) platformEnabled(name string) bool {
	switch name {
	case "console":
		return c.Platforms.Console.Enabled
	case "telegram":
		return c.Platforms.Telegram.Enabled
	case "wechat":
		return c.Platforms.WeChat.Enabled
	}
	return false
}

func (c *Config) checkHTTP(bad func(key, format string, args ...any)) {
	if l := c.HTTP.Listen; l != "" {
		_, port, err := net.SplitHostPort(l)
		if err != nil {
			bad("http.listen", "%q is not host:port (like 127.0.0.1:8080, or :8080 for every interface)", l)
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			bad("http.listen", "%q: port %q is not a number from 0 to 65535", l, port)
		}
	}
	if u := c.HTTP.PublicURL; u != "" {
		if err := checkURL(u); err != nil {
			bad("http.public_url", "%v", err)
		}
		if c.HTTP.Listen == "" {
			bad("http.public_url", "set, but http.listen is empty: nothing would answer at %s", u)
		}
	}
	if c.Board.Enabled && c.HTTP.Listen == "" {
		bad("board.enabled", "the board is served on http.listen, which is empty")
	}
}

func (c *Config) checkNotify(bad func(key, format string, args ...any)) {
	n := c.Notify
	// A half-expanded URL would post notices nowhere, unnoticed.
	if v, ok := c.missingEnv["notify.webhook_url"]; ok {
		bad("notify.webhook_url", "environment variable %s is not set (leave the key empty to send no webhook)", v)
	} else if n.WebhookURL != "" {
		if err := checkURL(n.WebhookURL); err != nil {
			bad("notify.webhook_url", "%v", err)
		}
	} else if n.Token != "" {
		bad("notify.token", "set, but notify.webhook_url is empty")
	}
	if v, ok := c.missingEnv["notify.token"]; ok {
		bad("notify.token", "environment variable %s is not set", v)
	}
	switch n.Format {
	case "json", "text":
	default:
		bad("notify.format", "%q is not json or text", n.Format)
	}
}

// checkURL accepts an absolute http(s) URL with a host.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL (like https://example.org/path)", s)
	}
	return nil
}

// has reports whether the file wrote key (always false for Default()).
func (c *Config) has(key string) bool { return c.present[key] }

// defaults fills what the file left out. Numbers and durations are filled
// only when absent: a 0 or -1 written in the file is refused by validation
// rather than silently replaced.
func (c *Config) defaults() {
	if c.DataDir == "" {
		c.DataDir = "./lifeline-data"
	}
	if c.Timezone == "" {
		c.Timezone = "Asia/Shanghai"
	}
	if c.Language == "" {
		c.Language = "zh"
	}
	t := &c.Platforms.Telegram
	if t.APIURL == "" {
		t.APIURL = "https://api.telegram.org"
	}
	if t.Mode == "" {
		t.Mode = "polling"
	}
	if t.Rooms == "" {
		t.Rooms = "topics"
	}
	w := &c.Platforms.WeChat
	if w.SessionFile == "" {
		w.SessionFile = "wechat.session"
	}
	if !c.has("platforms.wechat.min_gap") {
		w.MinGap = Duration(time.Second)
	}
	if !c.has("platforms.wechat.max_gap") {
		w.MaxGap = max(Duration(3*time.Second), w.MinGap)
	}
	if !c.has("platforms.wechat.hourly_cap") {
		w.HourlyCap = 300
	}
	if !c.has("platforms.wechat.rooms_per_day") {
		w.RoomsPerDay = 10
	}
	if c.Triage.AlertAt == "" {
		c.Triage.AlertAt = "high"
	}
	if c.Triage.RoomAt == "" {
		c.Triage.RoomAt = "none"
	}
	for i := range c.Digests {
		d := &c.Digests[i]
		if d.Kind == "" {
			d.Kind = "summary"
		}
		if d.To == "" {
			d.To = "coordination"
			if d.Kind == "public" {
				d.To = "intake"
			}
		}
	}
	if !c.has("privacy.retention_days") {
		c.Privacy.RetentionDays = 90
	}
	if !c.has("workflow.stale_after") {
		c.Workflow.StaleAfter = Duration(2 * time.Hour)
	}
	if !c.has("directory.auto_reply_every") {
		c.Directory.AutoReplyEvery = Duration(30 * time.Minute)
	}
	if !c.has("outbox.max_attempts") {
		c.Outbox.MaxAttempts = 12
	}
	if !c.has("outbox.alert_backoff_max") {
		c.Outbox.AlertBackoffMax = Duration(30 * time.Second)
	}
	if !c.has("outbox.unreachable_after") {
		c.Outbox.UnreachableAfter = Duration(5 * time.Minute)
	}
	if c.Workflow.EscalateAfter == nil {
		c.Workflow.EscalateAfter = map[string]Duration{}
	}
	for level, d := range map[string]time.Duration{"critical": 10 * time.Minute, "high": 30 * time.Minute} {
		if _, ok := c.Workflow.EscalateAfter[level]; !ok {
			c.Workflow.EscalateAfter[level] = Duration(d)
		}
	}
	if c.Backup.Dir == "" {
		c.Backup.Dir = "backups"
	}
	if !c.has("backup.keep") {
		c.Backup.Keep = 7
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	if c.Notify.Format == "" {
		c.Notify.Format = "json"
	}
}

// urgency reads a level name exactly as written in the file.
func urgency(s string) (triage.Urgency, error) {
	u, err := triage.ParseUrgency(s)
	if err != nil || u.String() != s {
		return triage.None, fmt.Errorf("%q is not critical, high, normal or none", s)
	}
	return u, nil
}

// AlertAt is the lowest urgency that alerts coordination chats.
func (c *Config) AlertAt() (triage.Urgency, error) {
	u, err := urgency(c.Triage.AlertAt)
	if err == nil && u == triage.None {
		return u, fmt.Errorf("%q would alert on every message; use normal, high or critical", c.Triage.AlertAt)
	}
	return u, err
}

// RoomAt is the automatic room threshold; None disables automatic rooms.
func (c *Config) RoomAt() (triage.Urgency, error) { return urgency(c.Triage.RoomAt) }

var platforms = []string{"console", "telegram", "wechat"}

// checkRef validates "platform:id".
func checkRef(ref string, chat bool) error {
	p, id, ok := strings.Cut(ref, ":")
	if !ok || id == "" {
		return fmt.Errorf("%q is not platform:id (like telegram:-1001234567890, wechat:浦东互助1群, console:intake)", ref)
	}
	known := false
	for _, k := range platforms {
		known = known || p == k
	}
	if !known {
		return fmt.Errorf("%q: unknown platform %q (console, telegram or wechat)", ref, p)
	}
	if p == "telegram" {
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			what := "user"
			if chat {
				what = "chat"
			}
			return fmt.Errorf("%q: a telegram %s id is a number", ref, what)
		}
	}
	return nil
}

// EnabledPlatforms names the platforms this configuration turns on, as the
// adapters name themselves (the prefix of their chat refs).
func (c *Config) EnabledPlatforms() []string {
	var names []string
	if c.Platforms.Console.Enabled {
		names = append(names, "console")
	}
	if c.Platforms.Telegram.Enabled {
		names = append(names, "telegram")
	}
	if c.Platforms.WeChat.Enabled {
		names = append(names, "wechat")
	}
	return names
}
