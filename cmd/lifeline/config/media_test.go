package config

import (
	"strings"
	"testing"
)

func TestEmergencyNumbersFollowRegionLanguageAndOverrides(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		zh, en     string
	}{
		{"zh team, no region", "language: zh", "120", "120"},
		{"en team, no region", "language: en", "112", "112"},
		{"Hong Kong", "phone_region: hk", "999", "999"},
		{"Macau", "phone_region: MO", "999", "999"},
		{"Taiwan, English team", "language: en\nphone_region: TW", "119", "119"},
		{"override en", "phone_region: CN\nemergency_number: {en: \"911\"}", "120", "911"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte("platforms: {console: {enabled: true}}\n" + tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			got := c.EmergencyNumbers()
			if got["zh"] != tc.zh || got["en"] != tc.en {
				t.Errorf("emergency numbers = %v; want zh %s, en %s", got, tc.zh, tc.en)
			}
		})
	}
}

func TestMediaConfigMistakesNameTheKey(t *testing.T) {
	for _, tc := range []struct{ yaml, key string }{
		{"phone_region: JP", "phone_region"},
		{"emergency_number: {fr: \"112\"}", "emergency_number.fr"},
		{"emergency_number: {zh: \"call 120\"}", "emergency_number.zh"},
		{"ocr: {engine: easyocr}", "ocr.engine"},
		{"ocr: {languages: \"chi sim\"}", "ocr.languages"},
		{"ocr: {timeout: 1ms}", "ocr.timeout"},
		{"ocr: {max_bytes: 10}", "ocr.max_bytes"},
		{"ocr: {queue: -1}", "ocr.queue"},
	} {
		_, err := Parse([]byte("platforms: {console: {enabled: true}}\n" + tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.key+":") {
			t.Errorf("%s: error %v does not name %s", tc.yaml, err, tc.key)
		}
	}
}

func TestOCRDefaults(t *testing.T) {
	c, err := Parse([]byte("platforms: {console: {enabled: true}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if o := c.OCR; o.Engine != "tesseract" || o.Languages != "chi_sim+eng" || o.Timeout.D().Seconds() != 30 || o.MaxBytes != 10<<20 || o.Queue != 32 {
		t.Errorf("OCR defaults = %+v", o)
	}
	if c.Region() != "CN" {
		t.Errorf("default region = %s", c.Region())
	}
}
