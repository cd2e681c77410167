package ops

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot/metrics"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

var now = time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "lifeline.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func update(t *testing.T, s *store.Store, fn func(*store.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func bind(t *testing.T, s *store.Store, ref string, role store.ChatRole, active bool) {
	update(t, s, func(tx *store.Tx) error {
		return tx.PutChat(&store.Chat{Ref: ref, Role: role, Active: active, Updated: now})
	})
}

func enqueue(t *testing.T, s *store.Store, chat string, age time.Duration) {
	update(t, s, func(tx *store.Tx) error {
		_, err := tx.Enqueue(&store.OutboxItem{Chat: chat, Kind: "alert", Created: now.Add(-age), NextAt: now.Add(-age)})
		return err
	})
}

func runCheck(t *testing.T, p *Probe, name string) error {
	t.Helper()
	for _, c := range p.Checks() {
		if c.Name == name {
			return c.Run(context.Background())
		}
	}
	t.Fatalf("no check %q", name)
	return nil
}

func TestCoordinationCheck(t *testing.T) {
	tests := []struct {
		name  string
		chats map[string]bool // coordination chat → active
		fail  string          // "" passes; "?" is unknown
	}{
		{"one working", map[string]bool{"telegram:-100222": true}, ""},
		{"none bound", nil, "no coordination chat is bound"},
		{"the only one unreachable", map[string]bool{"telegram:-100222": false}, "unreachable: telegram:-100222"},
		{"one of two unreachable", map[string]bool{"telegram:-100222": false, "wechat:志愿者群": true}, "?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			bind(t, s, "telegram:-100111", store.RoleIntake, true)
			for ref, active := range tt.chats {
				bind(t, s, ref, store.RoleCoordination, active)
			}
			err := runCheck(t, &Probe{Store: s}, "coordination")
			switch {
			case tt.fail == "" && err != nil:
				t.Errorf("failed: %v", err)
			case tt.fail == "?" && !errors.Is(err, ErrUnknown):
				t.Errorf("= %v, want a shown but passing note", err)
			case tt.fail != "" && tt.fail != "?" && (err == nil || errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), tt.fail)):
				t.Errorf("= %v, want a failure saying %q", err, tt.fail)
			}
		})
	}
}

func TestOutboxCheckAndState(t *testing.T) {
	s := openStore(t)
	p := &Probe{Store: s, Now: func() time.Time { return now }, StuckAfter: 10 * time.Minute}
	if err := runCheck(t, p, "outbox"); err != nil {
		t.Errorf("empty outbox: %v", err)
	}
	enqueue(t, s, "telegram:-100222", 30*time.Second)
	enqueue(t, s, "telegram:-100222", 2*time.Minute)
	enqueue(t, s, "wechat:志愿者群", time.Minute)
	if err := runCheck(t, p, "outbox"); err != nil {
		t.Errorf("fresh outbox: %v", err)
	}
	enqueue(t, s, "wechat:志愿者群", 11*time.Minute)
	err := runCheck(t, p, "outbox")
	if err == nil || !strings.Contains(err.Error(), "wechat: 2 waiting, oldest 11m0s") || strings.Contains(err.Error(), "telegram") {
		t.Errorf("stuck outbox: %v", err)
	}

	// A dead letter and open cases of two urgencies.
	update(t, s, func(tx *store.Tx) error {
		_, err := tx.Enqueue(&store.OutboxItem{Chat: "telegram:-100333", Kind: "reply", Created: now})
		if err != nil {
			return err
		}
		due, err := tx.DueOutbox(farFuture, 0)
		if err != nil {
			return err
		}
		if err := tx.DropOutbox(due[len(due)-1].ID, "chat unreachable"); err != nil {
			return err
		}
		for _, u := range []triage.Urgency{triage.Critical, triage.High, triage.High} {
			if err := tx.CreateCase(&store.Case{Text: "x", Urgency: u, Created: now}); err != nil {
				return err
			}
		}
		closed := &store.Case{Text: "y", Urgency: triage.Critical, Status: store.StatusResolved, Created: now}
		return tx.CreateCase(closed)
	})
	p.Platforms = []Platform{
		{Name: "telegram", Status: func() PlatformStatus {
			return PlatformStatus{Known: true, Up: true, LastUpdate: now.Add(-3 * time.Second)}
		}},
		{Name: "wechat", Status: func() PlatformStatus { return PlatformStatus{Known: true, Up: true, LoginNeeded: true} }},
	}
	st, err := p.ReadState(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantOutbox := []metrics.OutboxState{
		{Platform: "telegram", Pending: 2, Oldest: 2 * time.Minute},
		{Platform: "wechat", Pending: 2, Oldest: 11 * time.Minute},
	}
	if len(st.Outbox) != 2 || st.Outbox[0] != wantOutbox[0] || st.Outbox[1] != wantOutbox[1] {
		t.Errorf("outbox = %+v, want %+v", st.Outbox, wantOutbox)
	}
	if st.DeadLetters != 1 {
		t.Errorf("dead letters = %d, want 1", st.DeadLetters)
	}
	if st.OpenCases["critical"] != 1 || st.OpenCases["high"] != 2 || len(st.OpenCases) != 2 {
		t.Errorf("open cases = %v, want critical 1, high 2", st.OpenCases)
	}
	wantPl := []metrics.PlatformState{
		{Platform: "telegram", Up: true, LastUpdate: now.Add(-3 * time.Second)},
		{Platform: "wechat", Up: false}, // waiting for a QR scan is not up
	}
	if len(st.Platforms) != 2 || st.Platforms[0] != wantPl[0] || st.Platforms[1] != wantPl[1] {
		t.Errorf("platforms = %+v, want %+v", st.Platforms, wantPl)
	}
}

func TestPlatformCheck(t *testing.T) {
	tests := []struct {
		name string
		st   PlatformStatus
		want string // "" passes, "?" unknown
	}{
		{"connected", PlatformStatus{Known: true, Up: true}, ""},
		{"down with a reason", PlatformStatus{Known: true, Detail: "401 Unauthorized: token revoked?"}, "down: 401 Unauthorized"},
		{"down", PlatformStatus{Known: true}, "down"},
		{"login needed", PlatformStatus{Known: true, Up: true, LoginNeeded: true}, "QR scan is needed"},
		{"no status, running", PlatformStatus{Up: true}, "?"},
		{"no status, stopped", PlatformStatus{}, "down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Probe{Platforms: []Platform{{Name: "x", Status: func() PlatformStatus { return tt.st }}}}
			err := runCheck(t, p, "platform x")
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("failed: %v", err)
			case tt.want == "?" && !errors.Is(err, ErrUnknown):
				t.Errorf("= %v, want unknown", err)
			case tt.want != "" && tt.want != "?" && (err == nil || errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("= %v, want failure %q", err, tt.want)
			}
		})
	}
}

func TestStoreCheckFailsOnceClosed(t *testing.T) {
	s := openStore(t)
	p := &Probe{Store: s}
	if err := runCheck(t, p, "store"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := runCheck(t, p, "store"); err == nil {
		t.Error("store check passed on a closed store")
	}
}
