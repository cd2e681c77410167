package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and commit are set at build time with
// -ldflags "-X main.version=v1.2.0 -X main.commit=abc1234"; when they are
// not, buildVersion reads what the Go toolchain recorded.
var (
	version = ""
	commit  = ""
)

// buildInfo says which build this is: the version (ldflags, else the
// module version the toolchain stamped from a git tag, else "dev"), the
// commit (ldflags, else vcs.revision, shortened, "+modified" for a dirty
// tree, else "unknown") and the Go version.
type buildInfo struct {
	Version, Commit, Go string
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Commit: commit, Go: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if ok {
		if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
		if b.Commit == "" {
			var rev string
			var dirty bool
			for _, s := range info.Settings {
				switch s.Key {
				case "vcs.revision":
					rev = s.Value
				case "vcs.modified":
					dirty = s.Value == "true"
				}
			}
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if rev != "" && dirty {
				rev += "+modified"
			}
			b.Commit = rev
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

func (b buildInfo) String() string {
	return fmt.Sprintf("lifeline %s (commit %s, %s)", b.Version, b.Commit, b.Go)
}
