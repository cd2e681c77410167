package i18n

// zhMergeText holds the Chinese text of issue #11: links between cases,
// the texts merged into a case, cards that follow the case's state, and
// the /cases filters.
var zhMergeText = map[string]string{
	"/case N [page P]":         "/case 编号 [page 页码]",
	"%q is not a page number.": "“%s”不是页码。",
	"/claim N [also]":          "/claim 编号 [also 一起]",
	"Coordinator set: %s → %s": "协调员调整：%s → %s",
	", reason: %s":             "，原因：%s",
	"Now %s: raised by a later message (see /case %d)":                                                        "现为 %s：后续消息显示更紧急（见 /case %d）",
	"Finished. /reopen %d if help is still needed.":                                                           "已结束。如仍需帮助：/reopen %d",
	"Next: the holder calls the asker, then /verify %d · /claim %d also to help · /room %d for a rescue room": "下一步：负责人电话联系求助人后 /verify %d · /claim %d also 一起跟进 · /room %d 开救援群",
	"Next: /status %d in_progress when help is on the way · /resolve %d when done":                            "下一步：救助出发后 /status %d in_progress · 完成后 /resolve %d",
	"Next: /note %d to log progress · /resolve %d when done":                                                  "下一步：/note %d 记录进展 · 完成后 /resolve %d",
	"Join":            "一起跟进",
	"Room":            "救援群",
	"Help on the way": "救助出发",
	"Case #%d is already held by %s. To work on it with them, send /claim %d also.":           "#%d 已由 %s 认领。如要一起跟进，请发送 /claim %d also。",
	"%s also tried to claim case #%d, which you hold. They can join you with /claim %d also.": "%s 也想认领你负责的 #%d。对方可发送 /claim %d also 与你一起跟进。",
	"✓ You hold case #%d with %s now, %s.":                                                    "✓ %[3]s，你现在与 %[2]s 一起负责 #%[1]d。",
	"Added %s: %s":                                                                            "补充 %s：%s",
	"Linked: %s":                                                                              "关联：%s",
	"same contact as #%d":                                                                     "与 #%d 联系人相同",
	"same asker as #%d":                                                                       "与 #%d 求助人相同",
	"similar to #%d":                                                                          "与 #%d 内容相似",
	"may be about #%d":                                                                        "可能与 #%d 相关",
	"urgency raised to %s by a repost: %s":                                                    "转发内容显示更紧急，已升级为 %s：%s",
	"urgency raised to %s by an update: %s":                                                   "求助人补充后更紧急，已升级为 %s：%s",
	"Messages (%d):":                                                                          "全部消息（%d 条）：",
	"Messages %d–%d of %d:":                                                                   "消息 %d–%d / 共 %d 条：",
	"More: /case %d page %d":                                                                  "更多：/case %d page %d",
	"source:first":                                                                            "首发",
	"source:repost":                                                                           "转发",
	"source:update":                                                                           "补充",
	"source:edit":                                                                             "修改",
	"Case #%d has no page %d (it has %d).":                                                    "#%d 没有第 %d 页（共 %d 页）。",
}

// enMergeText names what has no English key of its own.
var enMergeText = map[string]string{
	"source:first":  "first",
	"source:repost": "repost",
	"source:update": "update",
	"source:edit":   "edit",
}

func init() {
	zhTables = append(zhTables, zhMergeText)
	for k, v := range enMergeText {
		enText[k] = v
	}
}
