package config

import (
	"strings"
	"testing"
)

// A document whose aliases multiply (each level nine times the last) is
// refused without walking its half a million nodes.
func TestAliasBombIsRefused(t *testing.T) {
	doc := `
platforms: {console: {enabled: true}}
groups:
  - &a {chat: "console:a", role: intake}
  - &b {<<: [*a,*a,*a,*a,*a,*a,*a,*a,*a]}
  - &c {<<: [*b,*b,*b,*b,*b,*b,*b,*b,*b]}
  - &d {<<: [*c,*c,*c,*c,*c,*c,*c,*c,*c]}
  - &e {<<: [*d,*d,*d,*d,*d,*d,*d,*d,*d]}
  - &f {<<: [*e,*e,*e,*e,*e,*e,*e,*e,*e]}
  - &g {<<: [*f,*f,*f,*f,*f,*f,*f,*f,*f]}
`
	_, err := Parse([]byte(doc))
	if err == nil || !strings.Contains(err.Error(), "aliases") {
		t.Errorf("Parse = %v, want a refusal naming the aliases", err)
	}
}
