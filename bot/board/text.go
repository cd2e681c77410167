package board

import (
	"fmt"

	"github.com/lifeline-aid/lifeline/bot/i18n"
)

// zh holds the board's own words in Chinese; keys are the English text, so
// English needs no table and a missing entry still reads sensibly. Values
// (urgencies, statuses, categories) come from bot/i18n like the chat's.
var zh = map[string]string{
	"Lifeline board":                       "Lifeline 看板",
	"Cases":                                "求助单",
	"Directory":                            "资源目录",
	"Stats":                                "统计",
	"Print":                                "打印",
	"Sign out":                             "退出",
	"Search":                               "搜索",
	"Filter":                               "筛选",
	"all open":                             "全部未结",
	"all":                                  "全部",
	"any":                                  "不限",
	"Status":                               "状态",
	"Urgency":                              "紧急程度",
	"Category":                             "类别",
	"District":                             "地区",
	"Assignee":                             "负责人",
	"Group":                                "来源群",
	"Age":                                  "时长",
	"Updated":                              "更新",
	"Request":                              "求助内容",
	"stale only":                           "只看久未更新",
	"older than (hours)":                   "超过(小时)",
	"Sort":                                 "排序",
	"Previous":                             "上一页",
	"Next":                                 "下一页",
	"Page %d of %d · %d cases":             "第 %d/%d 页 · 共 %d 单",
	"No cases match.":                      "没有符合条件的求助单。",
	"Case #%d":                             "求助单 #%d",
	"Card":                                 "卡片",
	"Sources":                              "原始消息",
	"Media":                                "媒体",
	"History":                              "记录",
	"Notes":                                "备注",
	"Linked cases":                         "相关求助单",
	"Actions":                              "操作",
	"Claim":                                "认领",
	"Verify":                               "已核实",
	"Add note":                             "添加备注",
	"Set status":                           "改状态",
	"Set urgency":                          "改紧急程度",
	"Resolve":                              "已解决",
	"Close":                                "关闭",
	"Reopen":                               "重新打开",
	"Assign to (person id or @name)":       "分配给(用户ID或@名字)",
	"Assign":                               "分配",
	"Open a rescue room":                   "开救援群",
	"Merge into case #":                    "合并到求助单 #",
	"Merge":                                "合并",
	"not verified yet: push anyway":        "尚未核实：仍然推送",
	"reason (a possible scam needs one)":   "原因(疑似诈骗时必填)",
	"Broadcast":                            "推送",
	"note":                                 "备注",
	"Done.":                                "已完成。",
	"Sign in":                              "登录",
	"Sign in to the Lifeline board as %s?": "以 %s 身份登录 Lifeline 看板？",
	"This sign-in link is not valid any more. Send /board to the bot for a new one.":                               "此登录链接已失效。请向机器人发送 /board 获取新链接。",
	"You are not signed in. Send /board to the bot in a private chat or the coordination chat for a sign-in link.": "您尚未登录。请在私聊或协调群向机器人发送 /board 获取登录链接。",
	"Too many sign-in attempts; wait a minute.":                                                                    "登录尝试过多，请稍候一分钟。",
	"The form expired; reload the page and try again.":                                                             "表单已过期，请刷新页面后重试。",
	"Name":                                  "名称",
	"Phone":                                 "电话",
	"Hours":                                 "时间",
	"Add entry":                             "添加条目",
	"Save status":                           "保存状态",
	"Remove":                                "删除",
	"Cases per hour (last 24 h) by urgency": "每小时新增(近24小时，按紧急程度)",
	"Open cases by category":                "未结求助单(按类别)",
	"Time to first response":                "首次响应用时",
	"Time to resolution":                    "解决用时",
	"median %s · %d cases":                  "中位数 %s · %d 单",
	"Download":                              "下载",
	"live":                                  "实时",
	"signed in as %s":                       "当前用户 %s",
	"Only coordinators edit the directory.": "只有协调员可以编辑目录。",
	"Back to the sheet":                     "返回列表",
	"from %s":                               "来自 %s",
	"Reason":                                "原因",
	"New case":                              "新建求助",
	"For a plea the bot did not read as one, or one that came by phone: its words, as written or heard, with the phone and address.": "用于机器人没有识别出的求助，或电话里听到的求助：照原话填写，附电话和地址。",
	"The plea's words":    "求助原话",
	"as the bot reads it": "按机器人的判断",
	"Open case":           "登记",
}

// tr is s in lang, formatted with args.
func tr(lang, s string, args ...any) string {
	if lang == "zh" || lang == i18n.Traditional {
		if z, ok := zh[s]; ok {
			s = z
		}
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}
