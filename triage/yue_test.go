package triage

import "testing"

// Written Cantonese as Hong Kong people type it (made up for these tests).
func TestCantonesePleas(t *testing.T) {
	cases := []struct {
		text string
		want Urgency
	}{
		{"我阿媽喺屋企跌倒咗，起唔到身…叫唔到白車", Critical},
		{"我阿媽喺屋企跌倒咗，起唔到身", High},
		{"阿婆跌親，郁唔到，幫幫手", High},
		{"我阿媽跌低咗，起唔到身，邊個可以幫下手", High},
		{"阿爺冇知覺，叫極都唔應", Critical},
		{"我老豆唔夠氣，好辛苦，點算好", Critical},
		{"阿公暈咗，白車未到，好急", Critical},
		{"屋企冇嘢食，老人家冇晒藥，點算好", High},
		{"BB仔發高燒成日，有冇人可以幫", High},
	}
	for _, c := range cases {
		a := Assess(c.text)
		if !a.IsRequest || a.Urgency < c.want {
			t.Errorf("%q: %s (%v), want at least %s", c.text, a.Urgency, a.Signals, c.want)
		}
		if a.Language != "zh" {
			t.Errorf("%q: language %q", c.text, a.Language)
		}
	}
}

func TestCantoneseChatterIsNoRequest(t *testing.T) {
	for _, text := range []string{
		"今日好熱呀，食咗飯未",
		"佢跌咗部電話落水，好彩冇事",
		"我哋聽日去飲茶",
		"阿媽話今晚返屋企食飯",
		"個波跌咗落地",
		"好多人叫唔到的士，好慘",
		"我阿爺今日好精神，食咗兩碗飯",
		"啲餸好好味，多謝晒",
		"阿婆上個月跌親，而家冇事喇",
	} {
		if a := Assess(text); a.IsRequest {
			t.Errorf("%q: %s request (%v), want none", text, a.Urgency, a.Signals)
		}
	}
}
