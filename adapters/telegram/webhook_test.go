package telegram

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
	"github.com/lifeline-aid/lifeline/bot"
)

func TestWebhookChecksSecretAndRedelivery(t *testing.T) {
	srv := telegramtest.NewServer(t)
	a := newAdapter(t, srv, func(o *Options) {
		o.Mode, o.WebhookListen, o.WebhookURL, o.WebhookSecret = ModeWebhook, "127.0.0.1:0", "https://lifeline.example/tg", "s3cret"
	})
	failNext := true
	rec := &recorder{fail: func(m bot.Message, attempt int) error {
		if m.Text == "flaky" && failNext {
			failNext = false
			return errors.New("store busy")
		}
		return nil
	}}
	hook := httptest.NewServer(a.WebhookHandler(rec))
	defer hook.Close()
	group := telegramtest.Group(-1001000000001, "g")
	ann := telegramtest.User(7, "Ann")
	post := func(secret string, u models.Update) int {
		t.Helper()
		code, err := telegramtest.DeliverWebhook(t.Context(), hook.URL, secret, u)
		if err != nil {
			t.Fatal(err)
		}
		return code
	}

	u1 := models.Update{ID: 100, Message: srv.NewMessage(group, ann, "急需胰岛素")}
	for _, secret := range []string{"", "wrong"} {
		if code := post(secret, u1); code != http.StatusUnauthorized {
			t.Errorf("secret %q: status %d, want 401", secret, code)
		}
	}
	if n := len(rec.calls()); n != 0 {
		t.Fatalf("handled %d updates without the secret", n)
	}
	if code := post("s3cret", u1); code != http.StatusOK {
		t.Fatalf("status %d, want 200", code)
	}
	// Telegram redelivers when unsure; the adapter does not hand it on twice.
	if code := post("s3cret", u1); code != http.StatusOK {
		t.Errorf("redelivery status %d, want 200", code)
	}
	u2 := models.Update{ID: 101, Message: srv.NewMessage(group, ann, "flaky")}
	if code := post("s3cret", u2); code != http.StatusInternalServerError {
		t.Errorf("failed handler: status %d, want 500 so Telegram retries", code)
	}
	if code := post("s3cret", u2); code != http.StatusOK {
		t.Errorf("retry status %d, want 200", code)
	}
	var texts []string
	for _, m := range rec.handled() {
		texts = append(texts, m.Text)
	}
	if want := []string{"急需胰岛素", "flaky"}; !equal(texts, want) {
		t.Errorf("handled %q, want %q", texts, want)
	}
	if a.LastHandled() != 101 {
		t.Errorf("last handled %d, want 101", a.LastHandled())
	}
}

func TestRunWebhookRegistersAndServes(t *testing.T) {
	srv := telegramtest.NewServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	a := newAdapter(t, srv, func(o *Options) {
		o.Mode, o.WebhookListen, o.WebhookURL, o.WebhookSecret = ModeWebhook, addr, "https://lifeline.example/tg", "s3cret"
	})
	rec := &recorder{}
	start(t, a, rec)
	waitFor(t, "webhook set", func() bool { u, _ := srv.Webhook(); return u != "" })
	if u, s := srv.Webhook(); u != "https://lifeline.example/tg" || s != "s3cret" {
		t.Errorf("webhook %q secret %q", u, s)
	}
	u := models.Update{ID: 5, Message: srv.NewMessage(telegramtest.Private(telegramtest.User(7, "Ann")), telegramtest.User(7, "Ann"), "/start")}
	code, err := telegramtest.DeliverWebhook(t.Context(), "http://"+addr+"/", "s3cret", u)
	if err != nil || code != http.StatusOK {
		t.Fatalf("deliver: %d, %v", code, err)
	}
	if got := rec.handled(); len(got) != 1 || got[0].Text != "/start" || !got[0].Private {
		t.Errorf("handled %+v", got)
	}
}

func TestWebhookModeNeedsASecret(t *testing.T) {
	srv := telegramtest.NewServer(t)
	for _, secret := range []string{"", "has space", strings.Repeat("x", 257)} {
		_, err := New(t.Context(), Options{Token: srv.Token, APIURL: srv.URL, Mode: ModeWebhook,
			WebhookListen: "127.0.0.1:0", WebhookURL: "https://lifeline.example/tg", WebhookSecret: secret})
		if err == nil || !strings.Contains(err.Error(), "secret") {
			t.Errorf("secret %q: %v, want an error about the secret", secret, err)
		}
	}
}
