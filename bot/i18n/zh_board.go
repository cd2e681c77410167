package i18n

// zhBoardText holds the Chinese replies of /board.
var zhBoardText = map[string]string{
	"The web board is not enabled on this bot.":                                          "本机器人未开启网页看板。",
	"Send me /board in a private chat: the sign-in link is personal.":                    "请私聊我发送 /board：登录链接仅限本人使用。",
	"I sent you a sign-in link privately.":                                               "已私聊发送登录链接给您。",
	"/board (a sign-in link for the web board, sent privately)":                          "/board（私聊发送网页看板的登录链接）",
	"Your sign-in link for the board (works once, for 10 minutes; do not share it):\n%s": "您的看板登录链接（仅可使用一次，10分钟内有效，请勿转发）：\n%s",
}
