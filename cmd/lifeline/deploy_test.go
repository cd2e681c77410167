package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
)

// dockerfile is the final stage of ../../Dockerfile as instructions
// ("USER" → arguments), with continuation lines joined, plus the build
// stage's RUN lines.
type dockerfile struct {
	final    map[string][]string
	buildRun []string
}

func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	f, err := os.Open("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := dockerfile{final: map[string][]string{}}
	stage := 0
	var line string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "#") || (l == "" && line == "") {
			continue
		}
		if cont, ok := strings.CutSuffix(l, "\\"); ok {
			line += cont + " "
			continue
		}
		line += l
		instr, args, _ := strings.Cut(line, " ")
		line = ""
		instr = strings.ToUpper(instr)
		if instr == "FROM" {
			stage++
			continue
		}
		if stage == 1 && instr == "RUN" {
			d.buildRun = append(d.buildRun, args)
		}
		if stage == 2 {
			d.final[instr] = append(d.final[instr], args)
		}
	}
	if stage != 2 {
		t.Fatalf("Dockerfile has %d stages, want build and runtime", stage)
	}
	return d
}

// The image's runtime user owns /data with the mode the build stage sets,
// exposes the HTTP port, checks health through `lifeline health`, and
// finds its config through LIFELINE_CONFIG.
func TestDockerfileSetsUpDataHealthAndPort(t *testing.T) {
	d := readDockerfile(t)
	uid, gid, mode := dataDirOwnership(t, d)
	if got := d.final["USER"]; len(got) != 1 || got[0] != fmt.Sprintf("%d:%d", uid, gid) {
		t.Errorf("USER %v, want %d:%d (the owner of /data)", got, uid, gid)
	}
	if !slicesContain(d.final["COPY"], fmt.Sprintf("--from=build --chown=%d:%d /out/data /data", uid, gid)) {
		t.Errorf("final stage does not copy /data owned by %d:%d: %v", uid, gid, d.final["COPY"])
	}
	if mode&0o700 != 0o700 {
		t.Errorf("/data mode %o: the owner cannot create files", mode)
	}
	for instr, want := range map[string]string{
		"VOLUME":      `["/data"]`,
		"EXPOSE":      "8080",
		"ENV":         "LIFELINE_CONFIG=/etc/lifeline/config.yaml",
		"HEALTHCHECK": `CMD ["/usr/local/bin/lifeline", "health"]`,
		"ENTRYPOINT":  `["/usr/local/bin/lifeline"]`,
		"CMD":         `["run"]`,
		"STOPSIGNAL":  "SIGTERM",
	} {
		got := strings.Join(d.final[instr], " | ")
		if !strings.Contains(got, want) {
			t.Errorf("%s %q does not contain %q", instr, got, want)
		}
	}
	// The port the image documents is the one the container config listens on.
	cfg := loadDockerConfig(t)
	if cfg.HTTP.Listen != ":8080" || cfg.DataDir != "/data" || cfg.Platforms.Console.Enabled {
		t.Errorf("deploy/config.docker.yaml: listen %q, data_dir %q, console %v", cfg.HTTP.Listen, cfg.DataDir, cfg.Platforms.Console.Enabled)
	}
	if u, _ := readyURL(cfg.HTTP.Listen); u != "http://127.0.0.1:8080/readyz" {
		t.Errorf("lifeline health in the container would ask %s", u)
	}
}

// dataDirOwnership reads the build stage's mkdir/chown/chmod of /out/data.
func dataDirOwnership(t *testing.T, d dockerfile) (uid, gid int, mode os.FileMode) {
	t.Helper()
	re := regexp.MustCompile(`mkdir -p /out/data && chown (\d+):(\d+) /out/data && chmod (0[0-7]{3}) /out/data`)
	for _, r := range d.buildRun {
		if m := re.FindStringSubmatch(r); m != nil {
			uid, _ = strconv.Atoi(m[1])
			gid, _ = strconv.Atoi(m[2])
			mo, _ := strconv.ParseUint(m[3], 8, 32)
			return uid, gid, os.FileMode(mo)
		}
	}
	t.Fatalf("build stage does not create /out/data with owner and mode: %v", d.buildRun)
	return
}

func loadDockerConfig(t *testing.T) *config.Config {
	t.Helper()
	t.Setenv("TELEGRAM_TOKEN", "123:test")
	cfg, err := config.Load("../../deploy/config.docker.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const asUIDEnv = "LIFELINE_TEST_DATA_DIR"

// The image's runtime user can create the database in a fresh /data set
// up as the Dockerfile does: a directory owned by that uid with that mode,
// inside a root-owned parent. The bot runs as that uid (the test binary
// re-executed with its credentials), takes a plea, and leaves a database
// owned by it.
func TestImageUserCreatesTheDatabaseInAFreshDataDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the bot as the image's uid")
	}
	uid, gid, mode := dataDirOwnership(t, readDockerfile(t))
	base, err := os.MkdirTemp("", "lifeline-image-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(base)
	os.Chmod(base, 0o755) // like / in the image: root's, readable
	data := filepath.Join(base, "data")
	if err := os.Mkdir(data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(data, mode); err != nil { // umask aside
		t.Fatal(err)
	}
	if err := os.Chown(data, uid, gid); err != nil {
		t.Fatal(err)
	}
	// The binary and config where that user may read them, as in the image.
	bin := filepath.Join(base, "lifeline")
	exe, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, exe, 0o755); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(base, "config.yaml")
	os.WriteFile(cfgPath, []byte(`
data_dir: `+data+`
platforms: {console: {enabled: true}}
groups:
  - {chat: "console:intake", role: intake}
  - {chat: "console:volunteers", role: coordination}
backup: {schedule: "@every 1h", keep: 3}
`), 0o644)

	cmd := exec.Command(bin, "run")
	cmd.Env = append(os.Environ(), asBinaryEnv+"=1", "LIFELINE_CONFIG="+cfgPath, "HOME="+data, "GOCOVERDIR=")
	cmd.Dir = base
	cmd.Stdin = strings.NewReader("[intake] 小陈: 外婆突然昏迷不醒，叫不到救护车，电话13912345672\n")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	done := make(chan struct{})
	var out []byte
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatal("the bot did not finish its scripted session")
	}
	if err != nil {
		t.Fatalf("as uid %d: %v\n%s", uid, err, out)
	}
	if !strings.Contains(string(out), "求助 #1") {
		t.Errorf("no alert:\n%s", out)
	}
	fi, err := os.Stat(filepath.Join(data, "lifeline.db"))
	if err != nil {
		t.Fatalf("no database in the data directory: %v\n%s", err, out)
	}
	if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != uid || fi.Mode().Perm() != 0o600 {
		t.Errorf("database owned by %d with mode %o, want %d and 600", st.Uid, fi.Mode().Perm(), uid)
	}
}

// Docker, Compose and systemd all wait longer than the outbox drain before
// killing the bot.
func TestStopTimeoutsExceedTheDrain(t *testing.T) {
	b, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			StopGracePeriod string            `yaml:"stop_grace_period"`
			Volumes         []string          `yaml:"volumes"`
			Ports           []string          `yaml:"ports"`
			Environment     map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatal(err)
	}
	svc, ok := compose.Services["lifeline"]
	if !ok {
		t.Fatal("docker-compose.yml has no lifeline service")
	}
	if d, err := time.ParseDuration(svc.StopGracePeriod); err != nil || d <= shutdownGrace+5*time.Second {
		t.Errorf("stop_grace_period %q, want well above the %s drain", svc.StopGracePeriod, shutdownGrace)
	}
	if !slicesContain(svc.Volumes, "lifeline-data:/data") || !slicesContain(svc.Ports, "127.0.0.1:8080:8080") {
		t.Errorf("compose volumes %v ports %v", svc.Volumes, svc.Ports)
	}

	unit, err := os.ReadFile("../../deploy/lifeline.service")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^TimeoutStopSec=(\S+)$`).FindSubmatch(unit)
	if m == nil {
		t.Fatal("lifeline.service sets no TimeoutStopSec")
	}
	if d, err := time.ParseDuration(string(m[1])); err != nil || d <= shutdownGrace+5*time.Second {
		t.Errorf("TimeoutStopSec=%s, want well above the %s drain", m[1], shutdownGrace)
	}
	docker, _ := os.ReadFile("../../Dockerfile")
	if !strings.Contains(string(docker), "--stop-timeout 30") {
		t.Error("the Dockerfile's docker run example has no --stop-timeout")
	}
}

// The build context leaves out history, binaries and anything that may
// hold personal data or secrets.
func TestDockerignoreKeepsDataOut(t *testing.T) {
	b, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	for _, want := range []string{".git", "/lifeline", "/lifeline-data/", "*.db", "**/backups", "*.session", "/.pool/", "/config.yaml"} {
		if !slicesContain(lines, want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
	for _, needed := range []string{"go.mod", "go.sum", "cmd", "triage", "*.go", "*.yaml"} {
		if slicesContain(lines, needed) {
			t.Errorf(".dockerignore leaves out %s, which the build needs", needed)
		}
	}
}

func slicesContain(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
