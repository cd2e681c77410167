package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Each file in testdata/bad is one broken config whose first line says
// "# want: <text the error must contain>".
func TestBadConfigsFailNamingKeyAndProblem(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad configs found: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(data), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("%s: first line must be '# want: …'", f)
			}
			_, err = Load(f)
			if err == nil {
				t.Fatalf("loaded without error; want %q", want)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q\ndoes not contain %q", err, want)
			}
			if !strings.Contains(err.Error(), f) {
				t.Errorf("error %q does not name the file", err)
			}
			// People write this file, not Go programs: no Go type names,
			// YAML tags or decoder jargon.
			for _, jargon := range []string{"config.", "int64", "!!", "unmarshal", "struct", "field "} {
				if strings.Contains(err.Error(), jargon) {
					t.Errorf("error %q mentions %q", err, jargon)
				}
			}
			t.Log(err)
		})
	}
}

func TestExampleConfigLoads(t *testing.T) {
	c, err := Load("../../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Platforms.Console.Enabled || c.Platforms.Telegram.Enabled || c.Platforms.WeChat.Enabled {
		t.Errorf("example should enable only the console: %+v", c.Platforms)
	}
	roles := map[string]string{}
	for _, g := range c.Groups {
		roles[g.Chat] = g.Role
	}
	for chat, role := range map[string]string{"console:intake": "intake", "console:volunteers": "coordination", "console:broadcast": "broadcast"} {
		if roles[chat] != role {
			t.Errorf("%s bound as %q, want %q", chat, roles[chat], role)
		}
	}
	if len(c.Admins) == 0 || c.Admins[0] != "console:admin" {
		t.Errorf("admins = %v, want console:admin", c.Admins)
	}
	if !filepath.IsAbs(c.DataDir) && !strings.HasSuffix(c.DataDir, "lifeline-data") {
		t.Errorf("data_dir = %q", c.DataDir)
	}
	if c.Location.String() != "Asia/Shanghai" {
		t.Errorf("location = %v", c.Location)
	}
}

func TestDefaultsAndEnvExpansion(t *testing.T) {
	t.Setenv("LIFELINE_TEST_TOKEN", `12:ab"c: {not yaml}`)
	c, err := Parse([]byte(`
platforms:
  telegram: {enabled: true, token: "${LIFELINE_TEST_TOKEN}"}
digests:
  - {name: thanks, schedule: "0 21 * * *", kind: public}
`))
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Platforms.Telegram.Token) != `12:ab"c: {not yaml}` {
		t.Errorf("token = %q: a secret with YAML characters must arrive intact", string(c.Platforms.Telegram.Token))
	}
	if c.Platforms.Telegram.Token.String() != "[redacted]" {
		t.Error("a secret prints itself")
	}
	if c.Platforms.Telegram.APIURL != "https://api.telegram.org" || c.Platforms.Telegram.Mode != "polling" {
		t.Errorf("telegram defaults: %+v", c.Platforms.Telegram)
	}
	if c.Digests[0].To != "intake" {
		t.Errorf("a public digest goes to intake groups by default, got %q", c.Digests[0].To)
	}
	if c.Workflow.StaleAfter.D() != 2*time.Hour || c.Privacy.RetentionDays != 90 {
		t.Errorf("defaults: stale %v retention %d", c.Workflow.StaleAfter.D(), c.Privacy.RetentionDays)
	}
}

func TestRelativePathsAreRelativeToTheFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(f, []byte("data_dir: data\nplatforms: {console: {enabled: true}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != filepath.Join(dir, "data") {
		t.Errorf("data_dir = %q, want %q", c.DataDir, filepath.Join(dir, "data"))
	}
}

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if !c.Platforms.Console.Enabled || c.DataDir != "./lifeline-data" {
		t.Errorf("default: %+v", c)
	}
}

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/bad/*.yaml")
	for _, s := range append(seeds, "../../../config.example.yaml") {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err == nil && c.Location == nil {
			t.Fatal("a valid config without a location")
		}
	})
}

// YAML anchors and merge keys are checked like the keys they stand for.
func TestMergeKeysAndAnchors(t *testing.T) {
	c, err := Parse([]byte(`
platforms: {console: {enabled: true}}
defaults: &d {role: intake}
`))
	if err == nil || !strings.Contains(err.Error(), "defaults: unknown key") {
		t.Errorf("unknown anchored key: %v", err)
	}
	c, err = Parse([]byte(`
platforms: {console: {enabled: true}}
groups:
  - &g {chat: "console:intake", role: intake, name: one}
  - {<<: *g, chat: "console:intake2"}
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Groups) != 2 || c.Groups[1].Role != "intake" || c.Groups[1].Name != "one" {
		t.Errorf("groups = %+v", c.Groups)
	}
	_, err = Parse([]byte(`
platforms: {console: {enabled: true}}
groups:
  - &g {chat: "console:intake", role: intake}
  - {<<: *g, colour: red}
`))
	if err == nil || !strings.Contains(err.Error(), "groups[1].colour: unknown key") {
		t.Errorf("unknown key beside a merge: %v", err)
	}
}

// A number written in the file is kept or refused, never replaced by the
// default; a number left out gets the default.
func TestWrittenNumbersAreNotReplaced(t *testing.T) {
	c, err := Parse([]byte("platforms: {console: {enabled: true}}\nbackup: {keep: 2}\noutbox: {max_attempts: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Backup.Keep != 2 || c.Outbox.MaxAttempts != 1 || c.Privacy.RetentionDays != 90 || c.Workflow.StaleAfter.D() != 2*time.Hour {
		t.Errorf("keep %d, attempts %d, retention %d, stale %v", c.Backup.Keep, c.Outbox.MaxAttempts, c.Privacy.RetentionDays, c.Workflow.StaleAfter.D())
	}
}

func TestAlertDefaultsAndEscalationOverrides(t *testing.T) {
	c, err := Parse([]byte("platforms: {console: {enabled: true}}\nworkflow: {escalate_after: {high: 0s}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Outbox.AlertBackoffMax.D() != 30*time.Second || c.Outbox.UnreachableAfter.D() != 5*time.Minute {
		t.Errorf("outbox defaults: %+v", c.Outbox)
	}
	if c.Workflow.EscalateAfter["critical"].D() != 10*time.Minute || c.Workflow.EscalateAfter["high"].D() != 0 {
		t.Errorf("escalate_after = %v; want the critical default and high turned off", c.Workflow.EscalateAfter)
	}
}
