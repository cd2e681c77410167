package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
	"github.com/lifeline-aid/lifeline/cmd/lifeline/config"
)

// needTesseract skips a test when tesseract is not installed, unless
// LIFELINE_REQUIRE_TESSERACT=1 (CI sets it) makes that a failure.
func needTesseract(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tesseract"); err != nil {
		if os.Getenv("LIFELINE_REQUIRE_TESSERACT") == "1" {
			t.Fatal("tesseract is not installed and LIFELINE_REQUIRE_TESSERACT=1: apt-get install tesseract-ocr tesseract-ocr-chi-sim")
		}
		t.Skip("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
	}
}

// unifontHex is GNU Unifont in its text form (Debian package unifont): one
// line per character, "codepoint:bitmap" with a 16-pixel-high glyph.
const unifontHex = "/usr/share/unifont/unifont.hex"

// renderText draws text on a white image with Unifont's glyphs, each
// pixel scaled up: a bitmap font the test builds from text data, so no
// image or font file is kept in the repository.
func renderText(t *testing.T, text string, scale int) []byte {
	t.Helper()
	f, err := os.Open(unifontHex)
	if err != nil {
		t.Fatalf("the OCR test draws its image with GNU Unifont: apt-get install unifont (%v)", err)
	}
	defer f.Close()
	need := map[rune]bool{}
	for _, r := range text {
		need[r] = true
	}
	glyphs := map[rune][]byte{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cp, bits, ok := strings.Cut(sc.Text(), ":")
		n, err := strconv.ParseUint(cp, 16, 32)
		if !ok || err != nil || !need[rune(n)] {
			continue
		}
		if b, err := hex.DecodeString(bits); err == nil && (len(b) == 16 || len(b) == 32) {
			glyphs[rune(n)] = b
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	runes := []rune(text)
	cell, gap := 16*scale, scale
	img := image.NewGray(image.Rect(0, 0, len(runes)*(cell+gap)+2*cell, 3*cell))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	x := cell
	for _, r := range runes {
		g, ok := glyphs[r]
		if !ok {
			t.Fatalf("Unifont has no glyph for %q", r)
		}
		width := len(g) / 2 // 8 or 16 pixels; one bit each, 16 rows
		for y := range 16 {
			for gx := range width {
				if g[y*width/8+gx/8]&(0x80>>(gx%8)) == 0 {
					continue
				}
				for dy := range scale {
					for dx := range scale {
						img.SetGray(x+gx*scale+dx, cell+y*scale+dy, color.Gray{})
					}
				}
			}
		}
		x += width*scale + gap
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A screenshot of a Chinese plea posted without a caption in an intake
// group is read by tesseract, triaged, and alerted with the recognised
// text marked as such, followed by the picture itself.
func TestOCRScreenshotPleaInIntakeGroupIsAlerted(t *testing.T) {
	needTesseract(t)
	const plea = "我妈妈心脏病发作，喘不上气，救命！电话13812345678"
	img := renderText(t, plea, 2)
	srv := telegramtest.NewServer(t)
	yaml := fmt.Sprintf(`
data_dir: %s
language: zh
platforms:
  console: {enabled: false}
  telegram: {enabled: true, token: %q, api_url: %q, rooms: none}
groups:
  - {chat: "telegram:%d", role: intake, name: 互助1群}
  - {chat: "telegram:%d", role: coordination, name: 志愿者}
ocr: {engine: tesseract, languages: chi_sim+eng, timeout: 60s}
`, t.TempDir(), srv.Token, srv.URL, tgIntake, tgCoordination)
	cfg, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	startApp(t, cfg, appIO{in: strings.NewReader(""), out: io.Discard, errOut: &logs})
	photo := srv.PushPhoto(telegramtest.Group(tgIntake, "互助1群"), telegramtest.User(701, "小陈"), img, "")
	alert := sentMatching(t, srv, tgCoordination, "求助 #1")
	for _, want := range []string{"(文字识别自图片)", "心脏病", "13812345678"} {
		if !strings.Contains(alert.Text, want) {
			t.Errorf("alert lacks %q:\n%s", want, alert.Text)
		}
	}
	waitFor(t, func() (bool, bool) {
		for _, s := range srv.SentTo(tgCoordination) {
			if s.CopyOf != nil && s.CopyOf.MessageID == photo.Message.ID && s.MessageID > alert.MessageID {
				return true, true
			}
		}
		return false, false
	})
	if !strings.Contains(logs.String(), "OCR is on") {
		t.Errorf("start-up did not say OCR is on:\n%s", logs.String())
	}
}

// Without the tesseract program, or without its language data, OCR is
// off and start-up says why.
func TestOCRIsOffWithoutTesseractAndStartUpSaysSo(t *testing.T) {
	cfg, err := config.Parse([]byte("platforms: {console: {enabled: true}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("no program", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		var logs bytes.Buffer
		o := mediaOptions(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
		if o.OCR != nil || !strings.Contains(logs.String(), "OCR is off") || !strings.Contains(logs.String(), "tesseract not found") {
			t.Errorf("OCR %v; log:\n%s", o.OCR, logs.String())
		}
	})
	t.Run("no language data", func(t *testing.T) {
		needTesseract(t)
		c := *cfg
		c.OCR.Languages = "chi_sim+zzz"
		var logs bytes.Buffer
		o := mediaOptions(context.Background(), &c, slog.New(slog.NewTextHandler(&logs, nil)))
		if o.OCR != nil || !strings.Contains(logs.String(), "OCR is off") || !strings.Contains(logs.String(), "zzz") {
			t.Errorf("OCR %v; log:\n%s", o.OCR, logs.String())
		}
	})
	t.Run("engine none", func(t *testing.T) {
		c := *cfg
		c.OCR.Engine = "none"
		var logs bytes.Buffer
		o := mediaOptions(context.Background(), &c, slog.New(slog.NewTextHandler(&logs, nil)))
		if o.OCR != nil || !strings.Contains(logs.String(), "OCR is off (ocr.engine: none)") {
			t.Errorf("OCR %v; log:\n%s", o.OCR, logs.String())
		}
	})
}
