package i18n

// zhExportText holds the Chinese replies of /export, import and scan.
var zhExportText = map[string]string{
	"/export [xlsx|csv]": "/export [xlsx|csv] 导出表格（发到本群）",
	"/export works in the volunteers' coordination chat or in a private chat with me.": "/export 只能在志愿者协调群或与我的私聊中使用。",
	"%q is not an export format (xlsx, csv).":                                          "“%s”不是导出格式（xlsx、csv）。",
	"%d cases. The file holds personal data: keep it within the team.":                 "共 %d 条求助。文件含个人信息，请勿外传。",
	"event:import": "从表格导入",
	"duplicate":    "重复",
	"unreachable":  "联系不上",
	"invalid":      "无效",
	"withdrawn":    "撤回",
	"referred":     "转介",
	"scam":         "疑似诈骗",
}
