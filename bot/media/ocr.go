package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"unicode"
)

// Recognizer reads the text in an image.
type Recognizer interface {
	Recognize(ctx context.Context, img []byte) (string, error)
}

// Tesseract runs the tesseract command-line program (Debian:
// tesseract-ocr, and tesseract-ocr-chi-sim for Simplified Chinese). The
// image goes in on stdin and the text comes out on stdout: nothing is
// written to disk.
type Tesseract struct {
	// Path is the program; default "tesseract" from PATH.
	Path string
	// Languages are tesseract's language codes joined by '+' (default
	// "chi_sim+eng").
	Languages string
}

func (t Tesseract) path() string {
	if t.Path == "" {
		return "tesseract"
	}
	return t.Path
}

func (t Tesseract) languages() string {
	if t.Languages == "" {
		return "chi_sim+eng"
	}
	return t.Languages
}

// ErrOCRUnavailable says the OCR program or its language data is missing.
var ErrOCRUnavailable = errors.New("OCR unavailable")

// Probe checks that the program runs and has every language asked for,
// saying what is missing and how to install it.
func (t Tesseract) Probe(ctx context.Context) error {
	bin, err := exec.LookPath(t.path())
	if err != nil {
		return fmt.Errorf("%w: %s not found (install tesseract-ocr and tesseract-ocr-chi-sim)", ErrOCRUnavailable, t.path())
	}
	out, err := exec.CommandContext(ctx, bin, "--list-langs").CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s --list-langs: %v", ErrOCRUnavailable, bin, err)
	}
	have := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		have[strings.TrimSpace(line)] = true
	}
	var missing []string
	for _, l := range strings.Split(t.languages(), "+") {
		if !have[l] {
			missing = append(missing, l)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: tesseract has no language data for %s (install tesseract-ocr-%s)", ErrOCRUnavailable,
			strings.Join(missing, ", "), strings.ReplaceAll(strings.Join(missing, " tesseract-ocr-"), "_", "-"))
	}
	return nil
}

// Recognize runs tesseract on img. ctx bounds it: the process is killed
// when ctx ends.
func (t Tesseract) Recognize(ctx context.Context, img []byte) (string, error) {
	cmd := exec.CommandContext(ctx, t.path(), "stdin", "stdout", "-l", t.languages())
	cmd.Stdin = bytes.NewReader(img)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("tesseract: %w", ctx.Err())
		}
		return "", fmt.Errorf("tesseract: %v: %s", err, strings.TrimSpace(lastLine(errOut.String())))
	}
	return CleanOCR(out.String()), nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// CleanOCR tidies recognised text: tesseract puts spaces between Chinese
// characters and around Chinese punctuation ("我 妈 妈 , 救 命"), which
// triage would read as separate words, and leaves empty lines and form
// feeds.
func CleanOCR(s string) string {
	s = strings.ToValidUTF8(s, "")
	var lines []string
	for _, line := range strings.Split(strings.ReplaceAll(s, "\f", "\n"), "\n") {
		line = joinCJK(strings.Join(strings.Fields(line), " "))
		if line != "" {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}

// joinCJK drops a space with a Chinese character or full-width punctuation
// on either side, or after ASCII punctuation that follows Chinese.
func joinCJK(s string) string {
	r := []rune(s)
	out := make([]rune, 0, len(r))
	for i, c := range r {
		if c == ' ' && len(out) > 0 && i+1 < len(r) {
			prev := out[len(out)-1]
			if wide(prev) || wide(r[i+1]) || punct(prev) && len(out) > 1 && wide(out[len(out)-2]) {
				continue
			}
		}
		out = append(out, c)
	}
	return string(out)
}

func wide(r rune) bool {
	return unicode.Is(unicode.Han, r) || r >= 0x3000 && r <= 0x303f || r >= 0xff00 && r <= 0xffef
}

func punct(r rune) bool { return r == ',' || r == '.' || r == '!' || r == '?' || r == ':' || r == ';' }
