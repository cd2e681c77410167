package i18n

import "maps"

// zhNewText holds the Chinese text of /new: a volunteer opens a case for
// a plea the bot did not read as one.
var zhNewText = map[string]string{
	"/new [critical|high|normal] words of the plea (or reply to the plea with /new)":                                                    "/new [critical|high|normal] 求助原话（或回复那条求助消息并发送 /new）",
	"Open a case the bot missed: /new words":                                                                                            "登记机器人漏掉的求助：/new 原话",
	"/new as a reply works in the group where the plea was written.":                                                                    "回复式 /new 请在求助消息所在的群里使用。",
	"/new with the words of a plea works in the volunteers' coordination chat or a case room; in a group, reply to the plea with /new.": "带原话的 /new 请在志愿者协调群或救援群里使用；在其他群里，请回复那条求助消息并发送 /new。",
	"/new needs the plea's words: /new [critical|high|normal] words, or reply to the plea with /new.":                                   "/new 需要求助原话：/new [critical|high|normal] 原话，或回复那条求助消息并发送 /new。",
	"That plea is already case #%d.":                                                                                                    "这条求助已经是 #%d。",
	"opened by hand by %s":                                                                                                              "由 %s 手动登记",
	"That plea was opened as a case already.":                                                                                           "这条求助已经登记过了。",
	"Reply to the plea with only /new, or /new and a level (critical, high, normal).":                                                   "回复求助消息时只需发送 /new，或 /new 加紧急程度（critical、high、normal）。",
	"I can't see what that reply answers (here, or it is one of my own messages): reply to the plea itself, or paste its words after /new in the coordination chat.": "看不到你回复的是哪条求助（这里不支持，或那是机器人自己的消息）：请回复求助消息本身，或在协调群里发送 /new 加上它的原话。",
	"✓ Noted as a request for help (case #%d). Volunteers will follow up.":                                                                                           "✓ 已登记为求助（#%d），志愿者会跟进。",
	"✓ Case #%d opened (%s); the alert is on its way.":                                                                                                               "✓ 已登记 #%d（%s），警报正在发出。",
	"✓ Case #%d opened.": "✓ 已登记 #%d。",
	"I have passed what you sent me to the volunteers as request #%d, so it is not lost. When you can, tell me what is needed and for whom.": "您发来的信息已作为求助 #%d 转给志愿者，不会遗漏。方便时请告诉我需要什么帮助、是为谁求助。",
	"(a map pin, nothing else)": "（只发了位置，没有其他内容）",
	"event:draft":               "未说明需求，已转交",
	"Not read as a request by the bot; opened by hand by %s as %s": "机器人未识别为求助；由 %s 手动登记为 %s",
	"event:opened": "手动登记",
}

var newLabels = map[string]string{
	"event:opened": "opened by hand",
	"event:draft":  "passed on without a stated need",
}

func init() {
	zhTables = append(zhTables, zhNewText)
	maps.Copy(labelText, newLabels)
}
