package i18n

// zhMergeText holds the Chinese text of issue #11: links between cases,
// the texts merged into a case, cards that follow the case's state, and
// the /cases filters.
var zhMergeText = map[string]string{
	"/case N [page P]":                      "/case 编号 [page 页码]",
	"%q is not a page number.":              "“%s”不是页码。",
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
