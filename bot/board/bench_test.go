package board_test

import (
	"testing"
)

// BenchmarkSheet10k renders the first sheet page (50 rows) with 10,000
// cases in the store, as a signed-in coordinator: the server's time per
// page and the HTML's size (page-B), plus the CSS and script (assets-B).
func BenchmarkSheet10k(b *testing.B) {
	h := newHarness(b)
	h.team()
	h.seedMixed(10000)
	c := h.signIn("coord")
	_, css := c.get("/board/static/board.css")
	_, js := c.get("/board/static/board.js")
	var size int
	b.ResetTimer()
	for b.Loop() {
		code, body := c.get("/board/")
		if code != 200 {
			b.Fatalf("sheet %d", code)
		}
		size = len(body)
	}
	b.ReportMetric(float64(size), "page-B")
	b.ReportMetric(float64(len(css)+len(js)), "assets-B")
}
