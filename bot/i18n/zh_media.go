package i18n

// MediaKind names a kind of media item in a sentence ("your voice
// message").
func MediaKind(lang, kind string) string {
	switch kind {
	case "voice", "audio", "photo", "document", "video", "sticker":
		return T(lang, "media:"+kind)
	}
	return T(lang, "media:document")
}

// enMediaText holds the English of keys that are not English phrases.
var enMediaText = map[string]string{
	"media:voice":    "voice message",
	"media:audio":    "audio message",
	"media:photo":    "photo",
	"media:document": "file",
	"media:video":    "video",
	"media:sticker":  "sticker",
	"event:media":    "voice/photo added",
	"event:location": "location added",
	"event:contact":  "phone added",
	"event:ocr":      "text read from an image",
}

// zhMediaText holds the Chinese replies about voice messages, photos,
// locations, contacts, forwards, OCR, deep links and share buttons.
var zhMediaText = map[string]string{
	"media:voice":    "语音消息",
	"media:audio":    "音频",
	"media:photo":    "图片",
	"media:document": "文件",
	"media:video":    "视频",
	"media:sticker":  "表情",
	"event:media":    "补充了语音/图片",
	"event:location": "补充了位置",
	"event:contact":  "补充了电话",
	"event:ocr":      "识别了图片文字",

	// Cards.
	"📍 Map: %s %s":                      "📍 地图：%s %s",
	"Attached: %s":                      "附件：%s",
	"… and %d earlier items (/case %d)": "……另有 %d 个较早的附件（/case %d）",
	"its text is in the request":        "其中文字已写入原文",
	"sent in %s":                        "发自 %s",
	"🎤 voice message — listen":          "🎤 语音消息——请收听",
	"🖼 photo":                           "🖼 图片",
	"🎬 video":                           "🎬 视频",
	"📎 file":                            "📎 文件",
	"%d voice messages":                 "%d 条语音",
	"%d photos":                         "%d 张图片",
	"%d files":                          "%d 个文件",
	"forwarded by %s":                   "转发: %s",
	"%s (forwarded by %s)":              "%s (转发: %s)",
	"#%d · %s · from %s":                "#%d · %s · 来自 %s",
	"#%d updated: %s":                   "#%d 有更新：%s",
	"(text recognised from an image)":   "(文字识别自图片)",
	"text recognised from an image":     "识别了图片中的文字",
	"❓ Urgency unknown (a voice message or picture): treated as urgent until a volunteer sets it with /urgency %d":                       "❓ 紧急程度未知（语音或图片）：志愿者用 /urgency %d 设定前按紧急处理",
	"(The %s could not be fetched from %s to show here: %v. It is in that chat; ask the asker to send it again if you cannot reach it.)": "（这条%s无法从 %s 取来转到这里：%v。原件在那个聊天里；如看不到，请让求助人再发一次。）",

	// Asker conversation.
	"📍 Share my location":     "📍 发送我的位置",
	"📞 Share my phone number": "📞 发送我的手机号",
	"This sounds urgent: I have alerted the volunteers right away. If a life is in danger, also call the emergency number (%s) now.":                    "情况紧急，我已立即通知志愿者。如有生命危险，请同时马上拨打 %s。",
	"I can't understand stickers. Please tell me in words, or in a voice message, what help is needed.":                                                 "我看不懂表情。请用文字或语音告诉我需要什么帮助。",
	"I can't watch videos. If you need help, please tell me in words, or send a voice message or a photo.":                                              "我无法观看视频。如需帮助，请用文字告诉我，或者发语音、图片。",
	"I received your %s and passed it on to the volunteers right away as request #%d. If a life is in danger, also call the emergency number (%s) now.": "已收到您的%s，已立即转给志愿者，求助编号 #%d。如有生命危险，请同时马上拨打 %s。",
	"If you can, also write what is needed, where, and a phone number: it helps them act faster.":                                                       "如果方便，请再用文字写下需要什么、在哪里、联系电话，志愿者能更快行动。",
	"Thank you, I passed your %s on to the volunteers of request #%d.":                                                                                  "谢谢，已把您的%s转给负责求助 #%d 的志愿者。",
	"I can't watch videos myself: if it says something important, please also write it.":                                                                "我自己无法观看视频：如果里面有重要信息，请也用文字写下来。",
	"Thank you, I noted your location (%s). What do you need help with?":                                                                                "谢谢，已记下您的位置（%s）。请问您需要什么帮助？",
	"That contact card has no phone number I can read. Please type the number the volunteers can call.":                                                 "这张名片上没有我能识别的电话号码。请直接输入志愿者可以拨打的号码。",
	"Thank you, I noted the number %s. What do you need help with?":                                                                                     "谢谢，已记下号码 %s。请问您需要什么帮助？",
	"Thank you, I added your location to request #%d: %s":                                                                                               "谢谢，已把您的位置补充到求助 #%d：%s",
	"Thank you, I added the number to request #%d: %s":                                                                                                  "谢谢，已把号码补充到求助 #%d：%s",

	// Deep links.
	"%s: I can't write to you privately yet. Write any message to me in a private chat, then send /start there to get your invite to the room of case #%d.":                    "%s：我还不能私信您。请先在私聊里给我发任意一条消息，再发送 /start，即可收到求助 #%d 救援群的邀请。",
	"%s: open %s and press Start to get your invite to the room of case #%d.":                                                                                                  "%s：请打开 %s 并点击“开始”，即可收到求助 #%d 救援群的邀请。",
	"This chat is now tied to your request #%d (%s). Tell me here anything the volunteers should know: what is needed, where you are, a phone number. Send /status to see it.": "这个私聊已关联到您的求助 #%d（%s）。志愿者需要知道的情况都可以在这里告诉我：需要什么、在哪里、联系电话。发送 /status 查看进展。",
	"I have no room invite for you for case #%d (the room may be closed, or the invite was already sent).":                                                                     "没有给您的求助 #%d 救援群邀请（救援群可能已关闭，或邀请已发过）。",
	"To tell me more privately (this link works only for you): %s":                                                                                                             "如需私下补充情况（此链接只对您本人有效）：%s",
}
