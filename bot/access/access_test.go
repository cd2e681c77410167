package access_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/store"
)

type admins map[string]bool

func (a admins) IsAdmin(ref string) bool { return a[ref] }

func TestLevelOf(t *testing.T) {
	cfg := admins{"tg:1": true}
	tests := []struct {
		p    store.Person
		want access.Level
	}{
		{store.Person{Ref: "tg:9"}, access.Anyone},
		{store.Person{Ref: "tg:9", Roles: []string{"volunteer"}}, access.Volunteer},
		{store.Person{Ref: "tg:9", Roles: []string{"volunteer", "coordinator"}}, access.Coordinator},
		{store.Person{Ref: "tg:9", Roles: []string{"admin"}}, access.Admin},
		{store.Person{Ref: "tg:1"}, access.Admin},
		{store.Person{Ref: "wechat:LL-1", Aliases: []string{"tg:1"}}, access.Admin}, // an admin under another identity
	}
	for _, tt := range tests {
		if got := access.LevelOf(cfg, &tt.p); got != tt.want {
			t.Errorf("LevelOf(%+v) = %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestRuleCheck(t *testing.T) {
	coordination := access.Where{Chat: "c:v", Role: store.RoleCoordination}
	intake := access.Where{Chat: "c:i", Role: store.RoleIntake}
	room := access.Where{Chat: "c:r", Role: store.RoleRoom, RoomCase: 3}
	private := access.Where{Chat: "c:@a", Role: store.RolePrivate, Private: true}
	board := access.Where{Board: true}
	claim := access.Rule{Name: "claim", Need: access.Volunteer, Where: access.WorkChats}
	bind := access.Rule{Name: "bind", Need: access.Admin, Where: access.GroupChat}
	cancel := access.Rule{Name: "cancel", Where: access.PrivateChat}
	tests := []struct {
		rule  access.Rule
		level access.Level
		where access.Where
		want  string // a piece of the refusal; "" when allowed
	}{
		{claim, access.Volunteer, coordination, ""},
		{claim, access.Volunteer, room, ""},
		{claim, access.Volunteer, board, ""},
		{claim, access.Volunteer, intake, "works in the volunteers' coordination chat"},
		{claim, access.Volunteer, private, "works in the volunteers' coordination chat"},
		{claim, access.Anyone, coordination, "send /volunteer [skills…] here first"},
		{claim, access.Anyone, room, "needs the volunteer role"},
		{bind, access.Admin, intake, ""},
		{bind, access.Admin, private, "in the group you want to set up"},
		{bind, access.Coordinator, intake, "needs the admin role"},
		{cancel, access.Anyone, private, ""},
		{cancel, access.Anyone, coordination, "private chat"},
	}
	for _, tt := range tests {
		got := tt.rule.Check(access.Actor{Ref: "c:x", Level: tt.level, Where: tt.where, Lang: "en"})
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("%s by %v at %+v: %q, want %q", tt.rule.Name, tt.level, tt.where, got, tt.want)
		}
	}
}

func TestSeesPersonalData(t *testing.T) {
	c := &store.Case{ID: 3, Asker: "c:ann"}
	tests := []struct {
		who   string
		where access.Where
		c     *store.Case
		want  bool
	}{
		{"c:vol", access.Where{Role: store.RoleCoordination}, c, true},
		{"c:vol", access.Where{Role: store.RoleCoordination, Thread: "9"}, c, false}, // another case's topic
		{"c:vol", access.Where{Role: store.RoleRoom, RoomCase: 3}, c, true},
		{"c:vol", access.Where{Role: store.RoleRoom, RoomCase: 4}, c, false},
		{"c:vol", access.Where{Board: true}, c, true},
		{"c:ann", access.Where{Private: true}, c, true}, // the asker's own details
		{"c:vol", access.Where{Private: true}, c, false},
		{"c:vol", access.Where{Role: store.RoleIntake}, c, false},
		{"c:vol", access.Where{Role: store.RoleCoordination}, nil, true},
		{"c:ann", access.Where{Private: true}, nil, false},
	}
	for _, tt := range tests {
		if got := (access.Actor{Ref: tt.who, Where: tt.where}).SeesPersonalData(tt.c); got != tt.want {
			t.Errorf("%s at %+v sees personal data: %v, want %v", tt.who, tt.where, got, tt.want)
		}
	}
}

func TestFindPerson(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Update(ctx, func(tx *store.Tx) error {
		for _, p := range []*store.Person{
			{Ref: "telegram:42", Name: "Alice", Roles: []string{"volunteer"}},
			{Ref: "telegram:66", Name: "Alice"}, // a stranger who took the name
			{Ref: "wechat:LL-7", Name: "Alice"},
			{Ref: "telegram:77", Name: "Bobby"},
			{Ref: "telegram:88", Name: "Carol"},
			{Ref: "telegram:99", Name: "Dave"},
		} {
			if err := tx.PutPerson(p); err != nil {
				return err
			}
		}
		for _, s := range []access.Sighting{
			{Person: "telegram:77", Handle: "bob", Role: store.RoleIntake},
			{Person: "telegram:88", Role: store.RoleCoordination},
			{Person: "wechat:LL-7", Role: store.RoleRoom},
		} {
			if err := access.Record(tx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		platform, arg, want string
		candidates          int
		outside             bool
	}{
		{"telegram", "telegram:66", "telegram:66", 0, false}, // an id is exact
		{"telegram", "wechat:LL-7", "wechat:LL-7", 0, false},
		{"telegram", "42", "telegram:42", 0, false},    // a numeric id on the caller's platform
		{"wechat", "@LL-7", "wechat:LL-7", 0, false},   // a local id
		{"telegram", "@bob", "telegram:77", 0, false},  // a handle
		{"telegram", "@Bob", "telegram:77", 0, false},  // handles ignore case
		{"telegram", "@Alice", "", 3, false},           // shared display name: refused with the candidates
		{"telegram", "Carol", "telegram:88", 0, false}, // a unique name on the team
		{"telegram", "@Dave", "", 1, true},             // a unique name outside the team
		{"telegram", "Bobby", "", 1, true},             // seen only in an intake group
		{"telegram", "@nobody", "", 0, false},
		{"telegram", "", "", 0, false},
		{"telegram", "@", "", 0, false},
	}
	for _, tt := range tests {
		var got access.Found
		if err := st.View(ctx, func(tx *store.Tx) error {
			got, err = access.FindPerson(tx, admins{}, tt.platform, tt.arg)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		ref := ""
		if got.Person != nil {
			ref = got.Person.Ref
		}
		if ref != tt.want || len(got.Candidates) != tt.candidates || got.Outside != tt.outside {
			t.Errorf("FindPerson(%s, %q) = %q, %d candidates, outside %v; want %q, %d, %v",
				tt.platform, tt.arg, ref, len(got.Candidates), got.Outside, tt.want, tt.candidates, tt.outside)
		}
	}
}

func TestRecentIsBoundedPerChat(t *testing.T) {
	r := access.NewRecent()
	for i := range 600 {
		r.Remember("c", fmt.Sprint(i), fmt.Sprint("p", i))
	}
	if _, ok := r.SenderOf("c", "0"); ok {
		t.Error("the oldest message is still remembered past the bound")
	}
	if s, ok := r.SenderOf("c", "599"); !ok || s != "p599" {
		t.Errorf("latest: %q %v", s, ok)
	}
	if _, ok := r.SenderOf("other", "599"); ok {
		t.Error("a message id found in another chat")
	}
	r.Remember("", "x", "p")
	r.Remember("c", "", "p")
	if _, ok := r.SenderOf("", "x"); ok {
		t.Error("an empty chat was remembered")
	}
}

func TestHandleMovesWithItsOwner(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	find := func(s string) string {
		var f access.Found
		if err := st.View(ctx, func(tx *store.Tx) error {
			var err error
			f, err = access.FindPerson(tx, admins{}, "telegram", s)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if f.Person == nil {
			return ""
		}
		return f.Person.Ref
	}
	put := func(s access.Sighting) {
		if err := st.Update(ctx, func(tx *store.Tx) error {
			if err := tx.PutPerson(&store.Person{Ref: s.Person}); err != nil {
				return err
			}
			return access.Record(tx, s)
		}); err != nil {
			t.Fatal(err)
		}
	}
	put(access.Sighting{Person: "telegram:1", Handle: "alice"})
	if got := find("@alice"); got != "telegram:1" {
		t.Fatalf("@alice = %q", got)
	}
	put(access.Sighting{Person: "telegram:1", Handle: "alice_new"}) // she renamed
	if got := find("@alice"); got != "" {
		t.Errorf("the old handle still names her: %q", got)
	}
	put(access.Sighting{Person: "telegram:2", Handle: "alice"}) // someone took it
	if got := find("@alice"); got != "telegram:2" {
		t.Errorf("@alice = %q, want its new owner", got)
	}
	if err := st.Update(ctx, func(tx *store.Tx) error { return access.Forget(tx, "telegram:1") }); err != nil {
		t.Fatal(err)
	}
	if got := find("@alice_new"); got != "" {
		t.Errorf("a forgotten person's handle still resolves: %q", got)
	}
	if got := find("@alice"); got != "telegram:2" {
		t.Errorf("forgetting one person dropped another's handle: %q", got)
	}
}

// FuzzFindPerson: whatever is typed after /grant, the lookup neither
// fails nor picks someone a display name alone can't name.
func FuzzFindPerson(f *testing.F) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(f.TempDir(), "db"), store.Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	if err := st.Update(ctx, func(tx *store.Tx) error {
		for _, p := range []*store.Person{{Ref: "telegram:1", Name: "Alice"}, {Ref: "telegram:2", Name: "Alice"}, {Ref: "wechat:LL-1", Name: "老张"}} {
			if err := tx.PutPerson(p); err != nil {
				return err
			}
		}
		return access.Record(tx, access.Sighting{Person: "telegram:1", Handle: "al", Role: store.RoleCoordination})
	}); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"@Alice", "Alice", "telegram:1", "@al", "1", "老张", "@", ":", "a:b:c", "@telegram:2", " @AL "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = st.View(ctx, func(tx *store.Tx) error {
			found, err := access.FindPerson(tx, admins{}, "telegram", s)
			if err != nil {
				t.Fatalf("FindPerson(%q): %v", s, err)
			}
			if found.Person != nil && found.Person.Name == "Alice" && strings.EqualFold(strings.Trim(s, " @"), "alice") {
				t.Fatalf("FindPerson(%q) picked %s by a shared name", s, found.Person.Ref)
			}
			return nil
		})
	})
}
