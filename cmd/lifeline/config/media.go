package config

import (
	"slices"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/triage"
)

// Media are the keys about phones, emergency numbers and OCR, kept at the
// top level of the file.
type Media struct {
	PhoneRegion     string            `yaml:"phone_region"`
	EmergencyNumber map[string]string `yaml:"emergency_number"`
	OCR             OCR               `yaml:"ocr"`
}

// OCR configures reading text in images.
type OCR struct {
	// Engine is "tesseract" (the default: on when the program and its
	// language data are installed) or "none".
	Engine    string   `yaml:"engine"`
	Languages string   `yaml:"languages"` // tesseract codes joined by '+'
	Timeout   Duration `yaml:"timeout"`   // per image
	MaxBytes  int64    `yaml:"max_bytes"` // larger images are not read
	Queue     int      `yaml:"queue"`     // images waiting; more are dropped and counted
}

// regionEmergency is the number to call for an ambulance in each phone
// region.
var regionEmergency = map[triage.PhoneRegion]string{
	triage.RegionCN: "120",
	triage.RegionHK: "999",
	triage.RegionMO: "999",
	triage.RegionTW: "119",
}

// checkMedia validates the phone region, the emergency numbers and OCR,
// filling in their defaults.
func (c *Config) checkMedia(bad func(key, format string, args ...any)) {
	region, err := triage.ParsePhoneRegion(c.PhoneRegion)
	if err != nil {
		bad("phone_region", "%q is not CN, HK, MO or TW", c.PhoneRegion)
	}
	for lang, n := range c.EmergencyNumber {
		if lang != "zh" && lang != "en" {
			bad("emergency_number."+lang, "%q is not a reply language (zh or en)", lang)
		}
		if n = strings.TrimSpace(n); len(n) < 2 || len(n) > 8 || strings.Trim(n, "0123456789") != "" {
			bad("emergency_number."+lang, "%q is not an emergency number (2-8 digits, like 120 or 999)", n)
		}
	}
	if err == nil && c.PhoneRegion != "" {
		c.PhoneRegion = string(region) // "hk" → "HK"; unset stays unset (see EmergencyNumbers)
	}
	o := &c.OCR
	if o.Engine == "" {
		o.Engine = "tesseract"
	}
	if o.Engine != "tesseract" && o.Engine != "none" {
		bad("ocr.engine", "%q is not tesseract or none", o.Engine)
	}
	if o.Languages == "" {
		o.Languages = "chi_sim+eng"
	}
	if slices.ContainsFunc(strings.Split(o.Languages, "+"), func(l string) bool { return l == "" || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz_") != "" }) {
		bad("ocr.languages", "%q is not tesseract language codes joined by + (like chi_sim+eng)", o.Languages)
	}
	if o.Timeout == 0 {
		o.Timeout = Duration(30 * time.Second)
	}
	if o.Timeout.D() < time.Second || o.Timeout.D() > 10*time.Minute {
		bad("ocr.timeout", "%s is not between 1s and 10m", o.Timeout.D())
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = 10 << 20
	}
	if o.MaxBytes < 1024 {
		bad("ocr.max_bytes", "%d is too small for an image", o.MaxBytes)
	}
	if o.Queue == 0 {
		o.Queue = 32
	}
	if o.Queue < 1 {
		bad("ocr.queue", "must be positive")
	}
}

// EmergencyNumbers is the emergency number askers are told to call, by
// reply language: emergency_number where it is set; otherwise the
// ambulance number of phone_region (CN 120, HK 999, MO 999, TW 119), or,
// when phone_region is not set, 120 for a team whose language is zh and
// 112 for one whose language is en (a team working in English is taken to
// be outside mainland China; 112 reaches the emergency services from any
// mobile phone in Europe and most other countries, and is redirected to
// 911 in North America).
func (c *Config) EmergencyNumbers() map[string]string {
	def := regionEmergency[triage.PhoneRegion(c.PhoneRegion)]
	if c.PhoneRegion == "" {
		def = "120"
		if c.Language == "en" {
			def = "112"
		}
	}
	out := map[string]string{"zh": def, "en": def}
	for lang, n := range c.EmergencyNumber {
		out[lang] = strings.TrimSpace(n)
	}
	return out
}

// Region is the phone region as triage reads it.
func (c *Config) Region() triage.PhoneRegion {
	r, _ := triage.ParsePhoneRegion(c.PhoneRegion)
	return r
}
