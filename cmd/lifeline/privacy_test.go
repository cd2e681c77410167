package main

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
)

// A whole console session through the bot, as issue #12 asks: pleas
// written with every kind of personal data the masker knows, a broadcast,
// digests to the intake groups, an asker's private chat and a stranger's
// who knows the asker's phone number. Every line the bot writes is read
// back: personal data appears only in the coordination chat and in the
// asker's own chat (her own), never in a public group, never to the
// stranger, never on the operator's terminal.
func TestConsoleSessionKeepsPersonalDataWhereItBelongs(t *testing.T) {
	yaml := fmt.Sprintf(`
data_dir: %s
language: zh
admins: [console:admin]
platforms:
  console: {enabled: true}
groups:
  - {chat: "console:intake", role: intake, name: 互助1群}
  - {chat: "console:intake2", role: intake, name: 互助2群}
  - {chat: "console:volunteers", role: coordination}
  - {chat: "console:broadcast", role: broadcast}
digests:
  - {name: thanks, schedule: "@every 1s", kind: public, to: intake}
  - {name: stale-public, schedule: "@every 1s", kind: stale, stale_after: 1s, to: intake}
`, t.TempDir())
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	// Whose data each secret is.
	xiaochen := []string{"110101194003071234", "莘松路", "100弄", "502室", "13912345672", "139-1234-5672", "li_nainai88", "chen@example.com"}
	tom := []string{"Mill Lane", "SW1A 1AA", "555-2671", "4155552671", "6222021234567890123", "6222 0212 3456 7890 123", "13811112222", "138.1111.2222"}
	laoli := []string{"一三七零零零零一一一一", "13700001111", "五一一室"}
	wang := []string{"川沙路", "200弄", "13812345678", "wang.ayi@example.com"}
	all := append(append(append(append([]string{}, xiaochen...), tom...), laoli...), wang...)

	in, feed := io.Pipe()
	var out, errOut syncBuffer
	startApp(t, cfg, appIO{in: in, out: &out, errOut: &errOut})
	say := func(lines ...string) {
		t.Helper()
		for _, l := range lines {
			if _, err := io.WriteString(feed, l+"\n"); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(45 * time.Second) // a loaded 2-core machine under -race
		for !strings.Contains(out.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in:\n%s", want, out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	say(
		"[intake] 小陈: 外婆昏迷不醒，身份证110101194003071234，闵行区莘松路100弄3号楼502室，电话139-1234-5672，微信 li_nainai88，邮箱 chen@example.com",
		"[intake2] Tom: My father is unconscious and not breathing, Flat 4B, 14 Mill Lane, London SW1A 1AA, call (415) 555-2671 or tel:+86 138.1111.2222, bank card 6222 0212 3456 7890 123",
		"[intake] 老李: 我爸爸透析两周没做了，浦东，电话一三七零零零零一一一一，五一一室",
		"[@王阿姨] 王阿姨: 我妈妈需要透析，浦东川沙路200弄7号，电话13812345678，邮箱 wang.ayi@example.com",
		"[@mallory] mallory: 我妈妈需要透析，电话13812345678",
		"[@mallory] mallory: /status",
		"[volunteers] 李医生: /volunteer medical verify",
		"[volunteers] admin: /verify 1",
		"[volunteers] admin: /broadcast 1",
		"[volunteers] admin: /broadcast 2 confirm",
		"[volunteers] admin: /broadcast 3 confirm",
		"[volunteers] admin: /broadcast 4 confirm",
	)
	waitFor("[broadcast] lifeline: 🟠") // the last broadcast (#4, high)
	waitFor("[intake] lifeline: ⏰")    // the stale digest
	waitFor("[intake] lifeline: 🙏")    // the public digest
	feed.Close()
	time.Sleep(200 * time.Millisecond)

	if testing.Verbose() {
		t.Log(out.String())
	}
	chats := map[string]string{}
	chat := ""
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "[") {
			chat, _, _ = strings.Cut(l[1:], "]")
		}
		chats[chat] += l + "\n"
	}
	for _, c := range []string{"intake", "intake2", "broadcast", "@王阿姨", "@mallory", "volunteers"} {
		if chats[c] == "" {
			t.Errorf("nothing was written to %s", c)
		}
	}
	check := func(where, text string, secrets []string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows %q:\n%s", where, s, text)
			}
		}
	}
	for _, public := range []string{"intake", "intake2", "broadcast"} {
		check(public, chats[public], all)
	}
	// Private requests reach a public group only by a coordinator's
	// /broadcast (#4 was broadcast; the stranger's #5 was not).
	if strings.Contains(chats["intake"]+chats["intake2"], "#5") {
		t.Errorf("a private request is listed in an intake group:\n%s", chats["intake"])
	}
	// The asker sees her own data, no one else's.
	if !strings.Contains(chats["@王阿姨"], "13812345678") {
		t.Errorf("the asker does not see her own number:\n%s", chats["@王阿姨"])
	}
	check("the asker's chat", chats["@王阿姨"], append(append(append([]string{}, xiaochen...), tom...), laoli...))
	// The stranger typed her phone; she learns nothing more of her.
	check("the stranger's chat", chats["@mallory"], append(append(append(append([]string{}, xiaochen...), tom...), laoli...), "川沙路", "200弄", "wang.ayi@example.com", "王阿姨", "#4"))
	// The coordination chat has it all (where the team works).
	for _, s := range []string{"13912345672", "13812345678", "莘松路"} {
		if !strings.Contains(chats["volunteers"], s) {
			t.Errorf("the coordination chat lacks %q", s)
		}
	}
	check("the operator's terminal and log", errOut.String(), all)
	for c, text := range chats {
		switch c {
		case "intake", "intake2", "broadcast", "@王阿姨", "@mallory", "volunteers", "":
		default:
			check(c, text, all)
		}
	}
}
