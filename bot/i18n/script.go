package i18n

import "github.com/lifeline-aid/lifeline/triage"

// Traditional is the language of a person who writes Traditional Chinese:
// the Chinese replies, converted to Traditional characters (OpenCC s2tw).
const Traditional = "zh-Hant"

// IsChinese says whether lang is Chinese in either script.
func IsChinese(lang string) bool { return lang == "zh" || lang == Traditional }

// Script refines a Chinese reply language by how text is written: zh
// becomes Traditional when text is written in Traditional characters, and
// Traditional goes back to zh only when text is clearly Simplified (it has
// characters only Simplified uses), so a message without any (a phone
// number, "好的") keeps the person's script.
func Script(lang, text string) string {
	if !IsChinese(lang) {
		return lang
	}
	switch {
	case triage.IsTraditional(text):
		return Traditional
	case lang == Traditional && hasSimplifiedOnly(text):
		return "zh"
	}
	return lang
}

// hasSimplifiedOnly reports characters that Traditional writers do not use.
func hasSimplifiedOnly(text string) bool {
	for _, r := range text {
		if r >= 0x3400 && triage.ToTraditional(string(r)) != string(r) {
			return true
		}
	}
	return false
}
