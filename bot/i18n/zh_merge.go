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
	"Case #%d is already held by %s. To work on it with them, send /claim %d also.":                                                               "#%d 已由 %s 认领。如要一起跟进，请发送 /claim %d also。",
	"%s also tried to claim case #%d, which you hold. They can join you with /claim %d also.":                                                     "%s 也想认领你负责的 #%d。对方可发送 /claim %d also 与你一起跟进。",
	"✓ You hold case #%d with %s now, %s.":                                                                                                        "✓ %[3]s，你现在与 %[2]s 一起负责 #%[1]d。",
	"/cases [critical|high|normal|urgent] [status] [category] [district] [mine] [stale] [page N] · /cases resolved|closed|all [today|24h|7d|all]": "/cases [危急|紧急|一般] [状态] [类别] [地区] [我的] [久未更新] [page 页码] · /cases 已解决|已关闭|全部 [today|24h|7d|all]",
	"Which page? For example: /cases page 2":                                                                                                      "第几页？例如：/cases page 2",
	"Unknown filter %q. Did you mean %s?":                                                                                                         "不认识的筛选条件“%s”。你是想用 %s 吗？",
	"Unknown filter %q, and no open case mentions it as a place.":                                                                                 "不认识的筛选条件“%s”，也没有未结求助提到这个地点。",
	"%s cases are open; list them without resolved or closed.":                                                                                    "“%s”的求助尚未结束；列出时请不要加 已解决 或 已关闭。",
	"Finished cases, %s (newest first):":                                                                                                          "已结束的求助，%s（最新在前）：",
	"All cases, %s (newest first):":                                                                                                               "全部求助，%s（最新在前）：",
	"No more cases: page %d is past the end.":                                                                                                     "没有更多了：第 %d 页已超出。",
	"No cases match.":                       "没有符合条件的求助。",
	"page %d":                               "第 %d 页",
	"… more: %s":                            "… 还有更多：%s",
	"Added %s: %s":                          "补充 %s：%s",
	"Linked: %s":                            "关联：%s",
	"same contact as #%d":                   "与 #%d 联系人相同",
	"same asker as #%d":                     "与 #%d 求助人相同",
	"similar to #%d":                        "与 #%d 内容相似",
	"may be about #%d":                      "可能与 #%d 相关",
	"urgency raised to %s by a repost: %s":  "转发内容显示更紧急，已升级为 %s：%s",
	"urgency raised to %s by an update: %s": "求助人补充后更紧急，已升级为 %s：%s",
	"Messages (%d):":                        "全部消息（%d 条）：",
	"Messages %d–%d of %d:":                 "消息 %d–%d / 共 %d 条：",
	"More: /case %d page %d":                "更多：/case %d page %d",
	"source:first":                          "首发",
	"source:repost":                         "转发",
	"source:update":                         "补充",
	"source:edit":                           "修改",
	"Case #%d has no page %d (it has %d).":  "#%d 没有第 %d 页（共 %d 页）。",
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
