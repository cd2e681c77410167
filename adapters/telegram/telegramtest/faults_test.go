package telegramtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// call posts a JSON call and returns the HTTP status and the decoded body.
func call(t *testing.T, s *Server, method, body string) (int, map[string]any, error) {
	t.Helper()
	resp, err := http.Post(s.URL+"/bot"+s.Token+"/"+method, "application/json", strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out, nil
}

func TestKickedChatAnswers403UntilReadded(t *testing.T) {
	s := NewServer(t)
	s.Kick(-100123)
	code, body, _ := call(t, s, "sendMessage", `{"chat_id":-100123,"text":"alert"}`)
	if code != 403 || !strings.Contains(body["description"].(string), "kicked") {
		t.Fatalf("kicked chat: %d %v", code, body)
	}
	if code, _, _ := call(t, s, "sendMessage", `{"chat_id":-100999,"text":"elsewhere"}`); code != 200 {
		t.Errorf("another chat: %d", code)
	}
	by := User(9, "Lead")
	id := s.Readd(-100123, &by)
	if code, _, _ := call(t, s, "sendMessage", `{"chat_id":-100123,"text":"alert"}`); code != 200 {
		t.Errorf("after re-adding: %d", code)
	}
	if id == 0 || s.Pending() != 1 {
		t.Errorf("re-adding queued no my_chat_member update (id %d, pending %d)", id, s.Pending())
	}
}

func TestOutageFailsEveryCallForAWhile(t *testing.T) {
	s := NewServer(t)
	s.Outage(502, 300*time.Millisecond)
	for _, m := range []string{"getMe", "getUpdates", "sendMessage"} {
		if code, _, _ := call(t, s, m, `{"chat_id":1,"text":"x"}`); code != 502 {
			t.Errorf("%s during the outage: %d, want 502", m, code)
		}
	}
	time.Sleep(350 * time.Millisecond)
	if code, _, _ := call(t, s, "sendMessage", `{"chat_id":1,"text":"x"}`); code != 200 {
		t.Errorf("after the outage: %d", code)
	}
}

func TestDownRefusesConnectionsUntilUp(t *testing.T) {
	s := NewServer(t)
	s.Down()
	_, _, err := call(t, s, "getMe", "")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("while down: %v, want connection refused", err)
	}
	if err := s.Up(); err != nil {
		t.Fatal(err)
	}
	if code, _, err := call(t, s, "getMe", ""); err != nil || code != 200 {
		t.Errorf("after Up: %d %v", code, err)
	}
}

func TestRateLimitViolationsAreRecorded(t *testing.T) {
	s := NewServer(t)
	s.SetLimits(Limits{Global: Rate{N: 3, Period: time.Minute}, PerGroup: Rate{N: 2, Period: time.Minute}, PerPrivate: Rate{N: 1, Period: time.Minute}})
	call(t, s, "sendMessage", `{"chat_id":7,"text":"1"}`)
	if code, body, _ := call(t, s, "sendMessage", `{"chat_id":7,"text":"2"}`); code != 429 || body["parameters"] == nil {
		t.Errorf("second private message within the period: %d %v", code, body)
	}
	call(t, s, "sendMessage", `{"chat_id":-100,"text":"1"}`)
	call(t, s, "sendMessage", `{"chat_id":-100,"text":"2"}`)
	call(t, s, "sendMessage", `{"chat_id":-200,"text":"1"}`) // the fourth accepted overall
	v := s.Violations()
	if len(v) != 2 || v[0].Limit != "private" || v[1].Limit != "global" {
		t.Fatalf("violations %v", v)
	}
	if s.RateLimited() != 2 {
		t.Errorf("rate limited %d", s.RateLimited())
	}

	r := NewServer(t)
	r.SetLimits(Limits{PerGroup: Rate{N: 1, Period: time.Minute}})
	r.RecordOnly(true)
	for range 3 {
		if code, _, _ := call(t, r, "sendMessage", `{"chat_id":-100,"text":"x"}`); code != 200 {
			t.Errorf("record-only refused a send: %d", code)
		}
	}
	if v := r.Violations(); len(v) != 2 || v[0].Limit != "group" {
		t.Errorf("record-only violations %v", v)
	}
}

func TestMediaUpdatesAndFiles(t *testing.T) {
	s := NewServer(t)
	ann := User(7, "Ann")
	u := s.PushVoice(Private(ann), ann, []byte("OggS"), 3*time.Second)
	code, body, _ := call(t, s, "getFile", `{"file_id":"`+u.Message.Voice.FileID+`"}`)
	if code != 200 {
		t.Fatalf("getFile: %d %v", code, body)
	}
	path := body["result"].(map[string]any)["file_path"].(string)
	resp, err := http.Get(s.URL + "/file/bot" + s.Token + "/" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 10)
	n, _ := resp.Body.Read(buf)
	if string(buf[:n]) != "OggS" {
		t.Errorf("downloaded %q", buf[:n])
	}
	// The bot may copy what a person sent, but not a message that never was.
	if code, _, _ := call(t, s, "copyMessage", `{"chat_id":-100,"from_chat_id":7,"message_id":`+itoa(u.Message.ID)+`}`); code != 200 {
		t.Errorf("copy: %d", code)
	}
	if code, _, _ := call(t, s, "copyMessage", `{"chat_id":-100,"from_chat_id":7,"message_id":999}`); code != 400 {
		t.Errorf("copy of nothing: %d", code)
	}
	if m := s.SentTo(-100); len(m) != 1 || m[0].CopyOf == nil {
		t.Errorf("recorded %+v", m)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
