package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/bot"
)

// noAdmins is a bot whose configuration names no admin: the first one
// claims the role with the code printed at start.
func noAdmins(o *bot.Options) { o.Admins = nil }

func adminCode(t *testing.T, h *harness) string {
	t.Helper()
	codes, err := h.e.AdminCodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 1 || codes[0].Platform != "console" || len(codes[0].Code) != 8 {
		t.Fatalf("codes %+v, want one for the console", codes)
	}
	return codes[0].Code
}

func TestFirstAdminClaimsWithTheCode(t *testing.T) {
	h := newHarness(t, noAdmins)
	code := adminCode(t, h)
	if !strings.Contains(h.logs.String(), "/admin "+code) {
		t.Error("the code is not in the log")
	}
	// Retyped loosely: lower case, a dash.
	typed := strings.ToLower(code[:4]) + "-" + code[4:]
	out := h.say("[@Ann] Ann: /admin " + typed)
	mustContain(t, out, "Ann (console:Ann) is now an admin", "/bind")
	mustNotContain(t, out, code)
	if !slices.Contains(personRoles(t, h, "console:Ann"), "admin") {
		t.Fatal("Ann is not an admin")
	}
	if !strings.Contains(h.logs.String(), "admin claimed with the start-up code") {
		t.Error("the claim is not logged")
	}
	// Single use.
	mustContain(t, h.say("[@Bob] Bob: /admin "+code), "not valid")
	if len(personRoles(t, h, "console:Bob")) > 0 {
		t.Error("the code worked twice")
	}
	// Her admin works, and now the platform has an admin: no new code.
	mustContain(t, h.say("[volunteers] Ann: /grant @Bob volunteer"), "Bob (console:Bob) is now volunteer")
	if codes, _ := h.e.AdminCodes(context.Background()); len(codes) != 0 {
		t.Errorf("codes issued with an admin present: %+v", codes)
	}
	// Another claim (after a restart made a code for a platform that lost
	// its admins) is announced to the admins and the coordination chat.
	h.say("[@Ann] Ann: /start")
	out = h.say("[volunteers] Ann: /revoke console:Ann admin")
	mustContain(t, out, "no longer admin")
	code = adminCode(t, h)
	out = h.say("[@Bob] Bob: /admin " + code)
	mustContain(t, out, "[volunteers] lifeline: ⚙ Bob (console:Bob) became an admin", "/revoke console:Bob admin")
}

func TestAdminCodeRefusals(t *testing.T) {
	h := newHarness(t, noAdmins)
	code := adminCode(t, h)
	wrong := "ZZZZZZZZ"
	if wrong == code {
		wrong = "YYYYYYYY"
	}
	// No code in a group: it would be burnt.
	mustContain(t, h.say("[volunteers] Eve: /admin "+wrong), "works in a private chat")
	// Three wrong tries per person per hour; then even the right code waits.
	for range 3 {
		mustContain(t, h.say("[@Eve] Eve: /admin "+wrong), "not valid")
	}
	mustContain(t, h.say("[@Eve] Eve: /admin "+code), "Too many wrong codes")
	if len(personRoles(t, h, "console:Eve")) > 0 {
		t.Fatal("rate-limited claim succeeded")
	}
	h.advance(time.Hour)
	mustContain(t, h.say("[@Eve] Eve: /admin "+code), "is now an admin")
	if n := strings.Count(h.logs.String(), "admin claim refused"); n != 4 {
		t.Errorf("%d refused claims logged, want 4", n)
	}
}

func TestAdminCodeWithdrawnAfterTooManyTries(t *testing.T) {
	h := newHarness(t, noAdmins)
	code := adminCode(t, h)
	for i := range 7 {
		for range 3 {
			h.say(fmt.Sprintf("[@guess%d] guess%d: /admin AAAAAAA%d", i, i, i))
		}
	}
	mustContain(t, h.say("[@Ann] Ann: /admin "+code), "not valid")
	if !strings.Contains(h.logs.String(), "withdrawn after too many wrong tries") {
		t.Error("withdrawal not logged")
	}
}

func TestAdminCodeExpiresAndIsBurntInAGroup(t *testing.T) {
	h := newHarness(t, noAdmins)
	code := adminCode(t, h)
	h.advance(24 * time.Hour)
	mustContain(t, h.say("[@Ann] Ann: /admin "+code), "not valid")

	code = adminCode(t, h)                                       // a restart: a fresh code
	if out := h.say("[intake] Ann: /admin " + code); out != "" { // a stranger in a public group: refused in silence
		t.Errorf("answered in the public group:\n%s", out)
	}
	mustContain(t, h.say("[@Ann] Ann: /admin "+code), "not valid")
	if !strings.Contains(h.logs.String(), "shown outside a private chat: withdrawn") {
		t.Error("burning the code is not logged")
	}
	// A new start replaces the old code.
	old := adminCode(t, h)
	code = adminCode(t, h)
	mustContain(t, h.say("[@Ann] Ann: /admin "+old), "not valid")
	mustContain(t, h.say("[@Ann] Ann: /admin "+code), "is now an admin")
}
