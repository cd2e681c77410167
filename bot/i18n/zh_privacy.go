package i18n

import "maps"

// zhPrivacyText holds the Chinese text of issue #12: naming people
// unambiguously, the first admin's claim code, broadcast gates and end
// notices, command menus, linked private requests and the scopes of case
// commands.
var zhPrivacyText = map[string]string{
	// naming people
	"%q could be %d people: %s. Name one by id (for example %s), or reply to their message.":                                                            "“%s”可能是 %d 个人：%s。请用编号指明（例如 %s），或回复此人的消息。",
	"%s has never written in the team's chats, so I won't pick them by display name. If you mean them, name them by id: %s, or reply to their message.": "%s 从未在团队群里发过言，我不会按昵称选中此人。如果确实是此人，请用编号：%s，或回复此人的消息。",
	"I don't remember who wrote the message you replied to (it is too old, or from before I restarted). Name the person by id instead, for example %s.": "我不记得你回复的那条消息是谁发的（太早了，或是在我重启之前）。请改用编号指明此人，例如 %s。",
	"%s is not a registered volunteer, and whoever holds a case sees the asker's phone and address. If you mean it, send /assign %d %s anyway.":         "%s 还不是已登记的志愿者，而负责人能看到求助人的电话和地址。如果确定，请发送 /assign %d %s anyway。",
	"✓ Case #%d assigned to %s; I told them privately.":                                                                                                 "✓ #%d 已指派给 %s，已私信通知对方。",
	"✓ Case #%d assigned to %s. I could not tell them privately (they have not written to me yet): please let them know.":                               "✓ #%d 已指派给 %s。无法私信通知（对方还没私聊过我），请转告对方。",

	// the first admin
	"That code is not valid. Codes are printed where the bot runs, once per start, and work for 24 hours.": "这个验证码无效。验证码在机器人运行的终端上显示，每次启动一个，24 小时内有效。",
	"Too many wrong codes. Try again in an hour.":                                                          "错误次数太多，请一小时后再试。",
	"You are already an admin.": "你已经是管理员了。",
	"✓ %s is now an admin of this bot. Next: add me to your groups and send /bind intake, /bind coordination or /bind broadcast in each; grant roles with /grant.": "✓ %s 现在是本机器人的管理员。下一步：把我拉进各个群，在群里分别发送 /bind intake、/bind coordination 或 /bind broadcast；用 /grant 授予角色。",
	"%s became an admin with the one-time code printed at start. If that was not one of you, revoke it at once: /revoke %s admin":                                  "%s 用启动时显示的一次性验证码成为了管理员。如果不是你们的人，请立即撤销：/revoke %s admin",

	// scopes
	"/%s works in the volunteers' coordination chat or a private chat with me.":           "/%s 请在志愿者协调群或与我的私聊中使用。",
	"This is the room of case #%d; handle case #%d in the volunteers' coordination chat.": "这是 #%d 的救援群；#%d 请到志愿者协调群处理。",

	// broadcast
	"Case #%d is not verified yet (%s). Broadcast a case after someone has called the asker; to push it now anyway, send /broadcast %d confirm.":                    "#%d 还没有核实（%s）。请在有人电话联系过求助人之后再推送；如果现在就要推送，请发送 /broadcast %d confirm。",
	"Case #%d is flagged as a possible scam (it asks for money or a payment code). Broadcast it only with the reason you trust it: /broadcast %d confirm <reason>.": "#%d 被标记为疑似诈骗（要求转账或付款码）。只有写明可信的理由才能推送：/broadcast %d confirm <理由>。",
	"Case #%d is already in all %d broadcast chats; it is not posted twice.":                                                                                        "#%d 已经推送到全部 %d 个推送群，不会重复发送。",
	"✓ Case #%d broadcast to %d more chats (it was already in %d).":                                                                                                 "✓ #%d 又推送到 %d 个群（此前已在 %d 个群）。",
	"✅ Case #%d (%s) is resolved — please stop forwarding it.":                                                                                                      "✅ 求助 #%d（%s）已解决，请不要再转发。",
	"Thank you to everyone who shared and helped!":                                                                                                                  "感谢大家的转发和帮助！",
	"⚠ Case #%d (%s) is likely a scam. Do not send any money; please stop forwarding it and delete it where you shared it.":                                         "⚠ 求助 #%d（%s）很可能是诈骗。请不要转账，停止转发，并删除已转发的消息。",
	"⚠ Case #%d (%s) could not be confirmed and is closed. Please stop forwarding it and delete it where you shared it.":                                            "⚠ 求助 #%d（%s）无法核实，已关闭。请停止转发，并删除已转发的消息。",
	"Case #%d (%s) was withdrawn by the person who asked. Please stop forwarding it.":                                                                               "求助 #%d（%s）已由求助人撤回，请不要再转发。",
	"Case #%d is the same as case #%d and is closed. Please stop forwarding #%d.":                                                                                   "求助 #%d 与 #%d 是同一件事，已关闭。请不要再转发 #%d。",
	"Case #%d (%s) is closed. Please stop forwarding it.":                                                                                                           "求助 #%d（%s）已关闭，请不要再转发。",
	"scam": "疑似诈骗",

	// linked private requests
	"🔗 Private request #%d may be about case #%d (%s). It was kept as its own case and its sender was told nothing about #%d. If a call shows they are the same, /merge %d %d.": "🔗 私聊求助 #%d 可能与 #%d 有关（%s）。它已单独登记，发送者没有得知 #%d 的任何信息。如果电话核实后确认是同一件事，请 /merge %d %d。",
	"same phone":   "同一电话",
	"similar text": "内容相似",

	"a volunteer": "一位志愿者",

	// rooms
	"every free pool group shows its history to new members, so the next asker could read earlier cases; an admin should set chat history for new members to hidden in each pool group": "空闲的救援小群都会向新成员显示历史消息，下一位求助人可能看到之前案例的地址和电话；请管理员在每个小群里把“新成员可见聊天记录”关闭",

	// command menus
	"Ask for help":                             "求助",
	"How this bot works":                       "使用说明",
	"Status of my request":                     "查看我的求助进度",
	"Withdraw my request":                      "撤回我的求助",
	"Open cases by urgency":                    "按紧急程度列出进行中的求助",
	"Show one case: /case 42":                  "查看求助：/case 42",
	"Take a case: /claim 42":                   "认领求助：/claim 42",
	"Mark a case verified: /verify 42":         "标记已核实：/verify 42",
	"Add a note: /note 42 text":                "添加备注：/note 42 内容",
	"Mark a case resolved: /resolve 42":        "标记已解决：/resolve 42",
	"Open a rescue room: /room 42":             "开救援群：/room 42",
	"Give a case to someone: /assign 42 @name": "指派求助：/assign 42 @某人",
	"Push a masked card to broadcast groups":   "向推送群推送脱敏卡片",
	"Search the directory: /find dialysis":     "查找资源：/find 透析",
	"Counts of cases":                          "求助统计",
	"Commands and how to use them":             "命令说明",

	// usages
	"/assign N @person [anyway] (or reply to their message with /assign N)":                             "/assign 编号 @某人 [anyway 强制]（或回复此人的消息发送 /assign 编号）",
	"/grant @person volunteer|coordinator|admin (or reply to their message with /grant role)":           "/grant @某人 volunteer|coordinator|admin（或回复此人的消息发送 /grant 角色）",
	"/revoke @person volunteer|coordinator|admin (or reply to their message with /revoke role)":         "/revoke @某人 volunteer|coordinator|admin（或回复此人的消息发送 /revoke 角色）",
	"/admin CODE (the one-time code printed when the bot started)":                                      "/admin 验证码（机器人启动时显示的一次性验证码）",
	"/close N duplicate|unreachable|invalid|withdrawn|referred|scam [note]":                             "/close 编号 duplicate重复|unreachable联系不上|invalid无效|withdrawn撤回|referred转介|scam诈骗 [备注]",
	"/broadcast N [confirm] [reason] (confirm: not verified yet; a reason: flagged as a possible scam)": "/broadcast 编号 [confirm] [理由]（未核实需 confirm；疑似诈骗需写理由）",

	// labels
	"event:linked":        "可能相关",
	"event:admin_claimed": "用验证码成为管理员",
}

// privacyLabels are the English labels of the events added with #12.
var privacyLabels = map[string]string{
	"event:linked":        "may be about",
	"event:admin_claimed": "became admin by code",
}

func init() {
	zhTables = append(zhTables, zhPrivacyText)
	maps.Copy(labelText, privacyLabels)
}
