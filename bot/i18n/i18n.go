// Package i18n holds every reply the bot writes, in English and Chinese,
// and the labels of urgencies, categories, statuses, roles and events.
// Keys are the English text, so English needs no table and a missing
// translation still reads sensibly.
package i18n

import (
	"fmt"
	"strings"

	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// Replies are kept in one catalogue per language so a translator edits one
// place; keys are English phrases so a missing entry still reads sensibly.
// The Chinese text is split by area (one table per file that owns the
// replies) and looked up in order.
var zhTables = []map[string]string{zhText, zhWorkflowText, zhAskerText, zhDigestText, zhMediaText, zhBoardText, zhExportText}

// T formats the message key in lang ("zh" or "en"). Keys are the English
// text, so English needs no table, and a missing translation still reads
// sensibly.
func T(lang, key string, args ...any) string {
	if lang == Traditional {
		return triage.ToTraditional(T("zh", key, args...))
	}
	format := key
	if lang == "zh" {
		for _, t := range zhTables {
			if f, ok := t[key]; ok {
				format = f
				break
			}
		}
	} else if f, ok := enText[key]; ok {
		format = f
	} else if f, ok := labelText[key]; ok {
		format = f
	} else if f, ok := enMediaText[key]; ok {
		format = f
	}
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// Urgency names an urgency level, with its colour.
func Urgency(lang string, u triage.Urgency) string {
	switch u {
	case triage.Critical:
		return T(lang, "🔴 CRITICAL")
	case triage.High:
		return T(lang, "🟠 HIGH")
	case triage.Normal:
		return T(lang, "🟢 normal")
	}
	return T(lang, "⚪ not a request")
}

// Category names a triage category (none reads as other).
func Category(lang string, c triage.Category) string {
	if c == triage.CatNone {
		c = triage.CatOther
	}
	return T(lang, "cat:"+string(c))
}

// Status names a case status.
func Status(lang string, s store.Status) string { return T(lang, "status:"+string(s)) }

var enText = map[string]string{
	"🔴 CRITICAL":                 "🔴 CRITICAL",
	"🟠 HIGH":                     "🟠 HIGH",
	"🟢 normal":                   "🟢 normal",
	"⚪ not a request":            "⚪ not a request",
	"cat:medical_emergency":      "medical emergency",
	"cat:dialysis":               "dialysis",
	"cat:cancer_treatment":       "cancer treatment",
	"cat:chronic_medication":     "chronic medication",
	"cat:maternal_infant":        "maternal & infant",
	"cat:mental_health":          "mental health",
	"cat:elderly_disabled_alone": "elderly or disabled alone",
	"cat:food_supplies":          "food & supplies",
	"cat:pet":                    "pet",
	"cat:transport":              "transport",
	"cat:information":            "information",
	"cat:rescue":                 "rescue",
	"cat:missing_person":         "missing person",
	"cat:shelter":                "shelter",
	"cat:other":                  "other",
	"status:new":                 "new",
	"status:verifying":           "verifying",
	"status:verified":            "verified",
	"status:in_progress":         "in progress",
	"status:resolved":            "resolved",
	"status:closed":              "closed",
	"case #%d":                   "case #%d",
	"Where: %s":                  "Where: %s",
	"Who: %s":                    "Who: %s",
	"For how long: %s":           "For how long: %s",
	"Request: %s":                "Request: %s",
	"Contact: %s":                "Contact: %s",
	"Why: %s":                    "Why: %s",
	"From: %s":                   "From: %s",
	"Status: %s":                 "Status: %s",
	"Held by: %s":                "Held by: %s",
	"Room: %s":                   "Room: %s",
	"reposted %d times":          "reposted %d times",
	"⚠ possible scam: asks for money transfer or payment code":                           "⚠ possible scam: asks for money transfer or payment code",
	"Next: /claim %d to take it · /verify %d after calling · /room %d for a rescue room": "Next: /claim %d to take it · /verify %d after calling · /room %d for a rescue room",
	"Claim":     "Claim",
	"Verify":    "Verify",
	"Resolve":   "Resolve",
	"Open room": "Open room",
	"unknown":   "unknown",
	"%d urgent cases arrived at once (folded to stay within this chat's rate limit):": "%d urgent cases arrived at once (folded to stay within this chat's rate limit):",
	"Use /case N for the full card.":   "Use /case N for the full card.",
	"urgency raised to %s by a repost": "urgency raised to %s by a repost",
	"place unknown":                    "place unknown",
	"no phone given":                   "no phone given",
	"You are sending messages faster than I can answer, so I will not reply for a few minutes. Urgent requests for help are still recorded and passed to volunteers.": "You are sending messages faster than I can answer, so I will not reply for a few minutes. Urgent requests for help are still recorded and passed to volunteers.",
}

var zhText = map[string]string{
	"🔴 CRITICAL":                 "🔴 危急",
	"🟠 HIGH":                     "🟠 紧急",
	"🟢 normal":                   "🟢 一般",
	"⚪ not a request":            "⚪ 非求助",
	"cat:medical_emergency":      "急症",
	"cat:dialysis":               "透析",
	"cat:cancer_treatment":       "肿瘤治疗",
	"cat:chronic_medication":     "慢病用药",
	"cat:maternal_infant":        "孕产/婴儿",
	"cat:mental_health":          "心理危机",
	"cat:elderly_disabled_alone": "独居老人/残障",
	"cat:food_supplies":          "食物物资",
	"cat:pet":                    "宠物",
	"cat:transport":              "出行就医",
	"cat:information":            "信息咨询",
	"cat:rescue":                 "被困救援",
	"cat:missing_person":         "寻人",
	"cat:shelter":                "住处",
	"cat:other":                  "其他",
	"status:new":                 "新建",
	"status:verifying":           "核实中",
	"status:verified":            "已核实",
	"status:in_progress":         "处理中",
	"status:resolved":            "已解决",
	"status:closed":              "已关闭",
	"case #%d":                   "求助 #%d",
	"Where: %s":                  "地点：%s",
	"Who: %s":                    "涉及：%s",
	"For how long: %s":           "持续：%s",
	"Request: %s":                "原文：%s",
	"Contact: %s":                "联系：%s",
	"Why: %s":                    "判断依据：%s",
	"From: %s":                   "来源：%s",
	"Status: %s":                 "状态：%s",
	"Held by: %s":                "负责人：%s",
	"Room: %s":                   "救援群：%s",
	"reposted %d times":          "被转发 %d 次",
	"⚠ possible scam: asks for money transfer or payment code":                           "⚠ 疑似诈骗：要求转账或付款码",
	"Next: /claim %d to take it · /verify %d after calling · /room %d for a rescue room": "下一步：/claim %d 认领 · /verify %d 电话核实后标记 · /room %d 开救援群",
	"Claim":     "认领",
	"Verify":    "核实",
	"Resolve":   "已解决",
	"Open room": "开救援群",
	"unknown":   "未知",
	"%d urgent cases arrived at once (folded to stay within this chat's rate limit):": "同时收到 %d 条紧急求助（为避免刷屏已合并）：",
	"Use /case N for the full card.":   "发送 /case 编号 查看完整卡片。",
	"urgency raised to %s by a repost": "转发内容显示更紧急，已升级为 %s",
	"place unknown":                    "地点不明",
	"no phone given":                   "未留电话",
	"You are sending messages faster than I can answer, so I will not reply for a few minutes. Urgent requests for help are still recorded and passed to volunteers.": "你发消息太快了，接下来几分钟我不会回复。紧急求助仍会被记录并转给志愿者。",
}

// Vulnerable names a vulnerable group triage found (elderly, child…).
func Vulnerable(lang, v string) string {
	if lang == Traditional {
		return triage.ToTraditional(Vulnerable("zh", v))
	}
	if lang != "zh" {
		return v
	}
	switch v {
	case "elderly":
		return "老人"
	case "infant":
		return "婴儿"
	case "child":
		return "儿童"
	case "pregnant":
		return "孕妇"
	case "disabled":
		return "残障"
	}
	return v
}

// LangOf is a person's own language, or def when they have none.
func LangOf(p *store.Person, def string) string {
	if p != nil && p.Language != "" {
		return p.Language
	}
	return def
}

// Categories are the triage categories people can name, in display order.
var Categories = triage.Categories()

// ParseCategory reads a category by its name ("dialysis") or the first
// word of it ("medical" for medical_emergency).
func ParseCategory(s string) (triage.Category, bool) {
	for _, c := range Categories {
		if string(c) == s || strings.HasPrefix(string(c), s+"_") {
			return c, true
		}
	}
	return "", false
}
