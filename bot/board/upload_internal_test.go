package board

import (
	"strings"
	"testing"
	"time"
)

func TestParseMap(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
		bad  bool
	}{
		{in: "", want: map[string]string{}},
		{in: " 留言 = text \n\n单号=ref", want: map[string]string{"留言": "text", "单号": "ref"}},
		{in: "3=phone; 备注=-", want: map[string]string{"3": "phone", "备注": "-"}},
		{in: "a=b=c", want: map[string]string{"a": "b=c"}},
		{in: "nonsense", bad: true},
		{in: "=text", bad: true},
		{in: "col=", bad: true},
	} {
		got, err := parseMap(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("parseMap(%q) = %v, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("parseMap(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("parseMap(%q)[%q] = %q, want %q", tc.in, k, got[k], v)
			}
		}
	}
}

// FuzzParseMap: any text either fails with a message or yields trimmed,
// non-empty columns and fields.
func FuzzParseMap(f *testing.F) {
	for _, s := range []string{"", "留言=text", "a=b;c=d\n e = f ", "=", ";;\n", "x=\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseMap(s)
		if err != nil {
			if !strings.Contains(err.Error(), "COLUMN=FIELD") {
				t.Errorf("error without the form: %v", err)
			}
			return
		}
		for k, v := range m {
			if k == "" || v == "" || k != strings.TrimSpace(k) || v != strings.TrimSpace(v) {
				t.Errorf("parseMap(%q) gave %q=%q", s, k, v)
			}
		}
	})
}

// The kept previews are bounded: expired ones go first, then the oldest;
// a preview is only for its uploader and only until it expires.
func TestUploadsAreBounded(t *testing.T) {
	var s uploads
	now := time.Date(2026, 4, 10, 9, 0, 0, 0, time.UTC)
	var ids []string
	for i := range maxUploads + 2 {
		at := now.Add(time.Duration(i) * time.Second)
		id, err := s.put(&upload{person: "p", at: at, expires: at.Add(uploadTTL)}, at)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if len(s.m) != maxUploads {
		t.Fatalf("kept %d previews, want %d", len(s.m), maxUploads)
	}
	later := now.Add(time.Minute)
	for i, id := range ids {
		kept := s.get(id, "p", later) != nil
		if want := i >= 2; kept != want {
			t.Errorf("preview %d kept=%v, want %v", i, kept, want)
		}
	}
	if s.get(ids[3], "q", later) != nil {
		t.Error("another person's preview was handed out")
	}
	if s.get(ids[3], "p", now.Add(uploadTTL+time.Minute)) != nil {
		t.Error("an expired preview was handed out")
	}
	// A new upload sweeps the expired ones.
	end := now.Add(2 * uploadTTL)
	if _, err := s.put(&upload{person: "p", at: end, expires: end.Add(uploadTTL)}, end); err != nil {
		t.Fatal(err)
	}
	if len(s.m) != 1 {
		t.Errorf("after expiry %d previews kept, want 1", len(s.m))
	}
}
