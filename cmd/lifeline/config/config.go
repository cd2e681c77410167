// Package config reads Lifeline's YAML configuration: strict decoding
// (unknown keys are errors), ${ENV} expansion for secrets, defaults, then
// validation that names the key and the problem.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	Backup    Backup         `yaml:"backup"`
	Log       Log            `yaml:"log"`
	Location  *time.Location `yaml:"-"`
	// missingEnv maps a key path to the environment variable it named that
	// was not set, so validation can say why a value is empty.
	missingEnv map[string]string

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
		return fmt.Errorf("line %d: %q is not a duration (like 90s, 30m, 2h)", n.Line, n.Value)
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
	c := &Config{missingEnv: map[string]string{}}
	if len(root.Content) == 0 {
		return nil, errors.New("the file is empty")
	}
	expandEnv(root.Content[0], "", c.missingEnv)
	expanded, err := yaml.Marshal(root.Content[0])
	if err != nil {
		return nil, fmt.Errorf("re-encode config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
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
	if p.WeChat.Enabled {
		if p.WeChat.Endpoint != "" && !strings.HasPrefix(p.WeChat.Endpoint, "http://") && !strings.HasPrefix(p.WeChat.Endpoint, "https://") {
			bad("platforms.wechat.endpoint", "%q is not an http(s) URL", p.WeChat.Endpoint)
		}
		if p.WeChat.MinGap.D() > p.WeChat.MaxGap.D() {
			bad("platforms.wechat.min_gap", "%s is longer than max_gap %s", p.WeChat.MinGap.D(), p.WeChat.MaxGap.D())
		}
		if p.WeChat.HourlyCap <= 0 {
			bad("platforms.wechat.hourly_cap", "must be positive")
		}
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
		if d.To != "coordination" && d.To != "intake" && checkRef(d.To, true) != nil {
			bad(key+".to", "%q is not coordination, intake or a chat ref", d.To)
		}
	}
	if c.Privacy.RetentionDays < 1 {
		bad("privacy.retention_days", "must be at least 1 (days to keep personal data of finished cases)")
	}
	if c.Backup.Schedule != "" {
		if _, err := parser.Parse(c.Backup.Schedule); err != nil {
			bad("backup.schedule", "%q is not a cron schedule: %v", c.Backup.Schedule, err)
		}
	}
	c.checkMedia(bad)
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
	if w.MinGap == 0 {
		w.MinGap = Duration(time.Second)
	}
	if w.MaxGap == 0 {
		w.MaxGap = Duration(3 * time.Second)
	}
	if w.HourlyCap == 0 {
		w.HourlyCap = 300
	}
	if w.RoomsPerDay == 0 {
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
	if c.Privacy.RetentionDays == 0 {
		c.Privacy.RetentionDays = 90
	}
	if c.Workflow.StaleAfter == 0 {
		c.Workflow.StaleAfter = Duration(2 * time.Hour)
	}
	if c.Directory.AutoReplyEvery == 0 {
		c.Directory.AutoReplyEvery = Duration(30 * time.Minute)
	}
	if c.Backup.Dir == "" {
		c.Backup.Dir = "backups"
	}
	if c.Backup.Keep == 0 {
		c.Backup.Keep = 7
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
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
