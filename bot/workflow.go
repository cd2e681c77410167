package bot

import "time"

// WorkflowOptions configure the volunteers' workflow around cases.
type WorkflowOptions struct {
	// StaleAfter is how long an open case may go without an update before
	// the stale check names it (default 2h).
	StaleAfter time.Duration
	// BroadcastResolved posts a short "resolved, thank you" to the chats a
	// case was broadcast to when it is resolved.
	BroadcastResolved bool
	// Digests are the scheduled reports.
	Digests []DigestSpec
	// DirectoryAutoReply answers non-urgent requests in intake groups with
	// matching directory entries, at most once per AutoReplyEvery per group.
	DirectoryAutoReply bool
	AutoReplyEvery     time.Duration
	// ExportDir is where /export writes CSV files.
	ExportDir string
	// RetentionDays is how long personal data of finished cases is kept
	// (told to askers; the store purges it). Default 90.
	RetentionDays int
	// DirectoryFile is a CSV (name,category,district,phone,hours,status,notes)
	// loaded into the directory at start.
	DirectoryFile string
}

// DigestSpec is one scheduled report.
type DigestSpec struct {
	Name     string
	Schedule string // cron expression, in the engine's Location
	// Kind is "summary" (default), "stale" or "public".
	Kind string
	// To is a chat role ("coordination", "intake") or a chat ref.
	To         string
	StaleAfter time.Duration
}
