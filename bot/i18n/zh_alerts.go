package i18n

// zhAlertsText holds the Chinese of the delivery notices, the kicked-bot
// fallback, /outbox and escalation.
var zhAlertsText = map[string]string{
	"No coordination chat can receive alerts now, so this one comes to you. It stays queued for the coordination chat.":                                                                "现在没有任何协调群能收到警报，所以这条警报直接发给你。它仍在队列中，协调群恢复后会送达。",
	"Chat %s cannot be reached since %s (%s). Its messages stay queued and alerts keep being retried; /outbox shows the queue.":                                                        "群 %s 自 %s 起无法送达（%s）。消息仍在队列中，警报会一直重试；/outbox 可查看队列。",
	"Chat %s is reachable again (it was not since %s); its queued messages are going out.":                                                                                             "群 %s 已恢复（自 %s 起无法送达），排队的消息正在发出。",
	"A message (%s, case #%d) to %s was given up: %s. /outbox %s lists what was given up; /outbox resend %d sends it again.":                                                           "发给 %[3]s 的一条消息（%[1]s，求助 #%[2]d）已放弃：%[4]s。/outbox %[5]s 列出已放弃的消息；/outbox resend %[6]d 重新发送。",
	"I could not reach the volunteers right now. Your request is saved and goes to them as soon as they can be reached. If a life is in danger, call the emergency number (%s) now.":   "我现在联系不上志愿者。你的求助已保存，一旦能联系上就会立即送达。如有生命危险，请立即拨打急救电话（%s）。",
	"It is now marked %s, but I could not reach the volunteers right now; it goes to them as soon as they can be reached. If a life is in danger, call the emergency number (%s) now.": "现已标记为%s，但我现在联系不上志愿者；一旦能联系上就会立即送达。如有生命危险，请立即拨打急救电话（%s）。",
	"I could not reach the volunteers' group right now, so I sent your request to the team's organisers directly. If a life is in danger, call the emergency number (%s) now.":         "我现在联系不上志愿者群，已把你的求助直接发给团队负责人。如有生命危险，请立即拨打急救电话（%s）。",
	"Outbox: %d waiting, %d failing and retried, %d given up; %d alerts not yet delivered.":                                                                                            "发送队列：%d 条等待，%d 条失败重试中，%d 条已放弃；%d 条警报尚未送达。",
	"… and %d more chats.":                         "……另有 %d 个会话。",
	"%s: %d waiting, %d failing, %d given up":      "%s：%d 条等待，%d 条失败，%d 条已放弃",
	"; %d alerts":                                  "；警报 %d 条",
	"; oldest since %s":                            "；最早自 %s",
	"Failing, oldest first:":                       "失败中（最早的在前）：",
	"#%d %s%s → %s, queued %s, tried %d times: %s": "#%d %s%s → %s，%s 排队，已尝试 %d 次：%s",
	"Given up, newest first (/outbox resend ID or /outbox resend all):": "已放弃（最新的在前；/outbox resend 编号 或 /outbox resend all 重新发送）：",
	"#%d %s%s → %s, given up %s: %s":                                    "#%d %s%s → %s，%s 放弃：%s",
	"(text removed by retention)":                                       "（内容已按保留期限删除）",
	"✓ %d given-up messages queued again.":                              "✓ 已重新排队 %d 条已放弃的消息。",
	"%d could not be: retention removed their text.":                    "%d 条无法重发：内容已按保留期限删除。",
	"%q is not a message number.":                                       "%q 不是消息编号。",
	"There is no given-up message #%d (/outbox lists them).":            "没有编号为 #%d 的已放弃消息（/outbox 可查看）。",
	"Message #%d can't be sent again: retention removed its text.":      "消息 #%d 无法重发：内容已按保留期限删除。",
	"✓ Message #%d to %s queued again.":                                 "✓ 发给 %[2]s 的消息 #%[1]d 已重新排队。",
	"/outbox — or /outbox resend ID|all":                                "/outbox —— 或 /outbox resend 编号|all",
	"Nobody has claimed this for %d minutes: %s":                        "已有 %d 分钟无人认领：%s",
	"/claim %d to take it.":                                             "发送 /claim %d 认领。",
	"Case #%d is still unclaimed after %d minutes, though it was re-alerted in the coordination chat: %s": "求助 #%d 已 %d 分钟无人认领（协调群已再次提醒）：%s",
}

func init() {
	zhTables = append(zhTables, zhAlertsText)
}
