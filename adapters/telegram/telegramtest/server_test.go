package telegramtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestServerAcceptsJSONAndFormBodies(t *testing.T) {
	s := NewServer(t)
	base := s.URL + "/bot" + s.Token + "/sendMessage"
	post := func(contentType, body string) map[string]any {
		t.Helper()
		resp, err := http.Post(base, contentType, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if r := post("application/json", `{"chat_id":-100123,"text":"a &amp; b","parse_mode":"HTML","reply_markup":{"inline_keyboard":[[{"text":"Claim","callback_data":"/claim 1"}]]}}`); r["ok"] != true {
		t.Fatalf("JSON body: %v", r)
	}
	form := url.Values{"chat_id": {"-100123"}, "text": {"plain <text>"}}
	if r := post("application/x-www-form-urlencoded", form.Encode()); r["ok"] != true {
		t.Fatalf("form body: %v", r)
	}
	sent := s.SentTo(-100123)
	if len(sent) != 2 || sent[0].Text != "a & b" || sent[0].Keyboard[0][0].Data != "/claim 1" || sent[1].Text != "plain <text>" {
		t.Errorf("recorded %+v", sent)
	}
	if r := post("application/json", `{"chat_id":-100123,"text":"<b>unclosed"}`); r["ok"] != true {
		t.Errorf("without parse_mode the text is plain: %v", r)
	}
	if r := post("application/json", `{"chat_id":-100123,"text":"1 < 2","parse_mode":"HTML"}`); r["ok"] != false || r["error_code"] != float64(400) {
		t.Errorf("unescaped < in HTML: %v, want 400", r)
	}
	resp, err := http.Post(s.URL+"/botWRONG/getMe", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token: %d, want 401", resp.StatusCode)
	}
}

func TestRenderHTML(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"a &lt;b&gt; &amp; &quot;c&quot; &#36; &#x41;", `a <b> & "c" $ A`, true},
		{"<b>bold</b> <i>it</i>", "bold it", true},
		{"<script>x</script>", "", false},
		{"a & b", "", false},
		{"<b>open", "", false},
		{"</b>", "", false},
	}
	for _, tt := range tests {
		got, err := render(tt.in, "HTML")
		if (err == nil) != tt.ok || tt.ok && got != tt.want {
			t.Errorf("render(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
