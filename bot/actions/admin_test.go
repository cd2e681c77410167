package actions_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/actions"
	"github.com/lifeline-aid/lifeline/store"
)

// FuzzClaimAdminCode: whatever follows /admin, only the code itself (in
// any case, with spaces or dashes) makes an admin; anything else is a
// refusal the caller can show, never a failure of the bot.
func FuzzClaimAdminCode(f *testing.F) {
	for _, s := range []string{"", "ABCDEFGH", "abcd-efgh", "  ", "\x00", "ＡＢＣＤ", strings.Repeat("A", 1000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		fx := newFixture(t)
		var code string
		fx.update(func(tx *store.Tx) error {
			codes, err := fx.act.IssueAdminCodes(tx, []string{"other"})
			if err != nil || len(codes) != 1 {
				t.Fatalf("codes %v, %v", codes, err)
			}
			code = codes[0].Code
			return nil
		})
		actor := inPrivate("other:eve", "other:eve", access.Anyone)
		var err error
		fx.update(func(tx *store.Tx) error {
			_, err = fx.act.ClaimAdmin(tx, actor, typed)
			return nil
		})
		canon := strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(typed))
		var ae *actions.Error
		switch {
		case canon == code && err != nil:
			t.Fatalf("the code %q typed as %q was refused: %v", code, typed, err)
		case canon != code && !(errors.As(err, &ae) && errors.Is(err, actions.ErrRefused)):
			t.Fatalf("%q (code %q): %v, want a refusal", typed, code, err)
		}
	})
}
