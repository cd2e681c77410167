package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/xuri/excelize/v2"

	"github.com/lifeline-aid/lifeline/adapters/telegram/telegramtest"
)

// /export on the fake Bot API: the spreadsheet arrives in the chat as a
// document (sendDocument, multipart upload), in the chat's language, and a
// CSV arrives in a coordinator's private chat.
func TestExportArrivesAsTelegramDocument(t *testing.T) {
	srv := telegramtest.NewServer(t)
	cfg := telegramTeam(t, srv, "zh", "")
	startQuiet(t, cfg)

	srv.Push(groupMessage(1, tgIntake, 555, "求助！我父亲需要透析，已经两周没透析了，浦东川沙，电话13812345678"))
	waitFor(t, func() (telegramtest.Sent, bool) {
		for _, s := range srv.SentTo(tgCoordination) {
			if strings.Contains(s.Text, "#1") {
				return s, true
			}
		}
		return telegramtest.Sent{}, false
	})
	srv.Push(groupMessage(2, tgCoordination, 1, "/export"))
	doc := waitFor(t, func() (telegramtest.Sent, bool) {
		for _, s := range srv.SentTo(tgCoordination) {
			if s.File != nil {
				return s, true
			}
		}
		return telegramtest.Sent{}, false
	})
	if doc.File.Method != "sendDocument" || !strings.HasPrefix(doc.File.Name, "lifeline-cases-") || !strings.HasSuffix(doc.File.Name, ".xlsx") {
		t.Fatalf("export sent as %s %q", doc.File.Method, doc.File.Name)
	}
	if !strings.Contains(doc.Text, "共 1 条求助") {
		t.Errorf("caption %q", doc.Text)
	}
	f, err := excelize.OpenReader(bytes.NewReader(doc.File.Data))
	if err != nil {
		t.Fatalf("the uploaded file is not an XLSX: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("求助")
	if err != nil || len(rows) != 2 || rows[1][0] != "1" || rows[1][1] != "危急" {
		t.Errorf("cases sheet: %v, %v", rows, err)
	}

	srv.Push(models.Update{Message: &models.Message{
		ID: 3, Date: int(time.Now().Unix()),
		Chat: models.Chat{ID: 1, Type: models.ChatTypePrivate},
		From: &models.User{ID: 1, FirstName: "Lead"},
		Text: "/export csv",
	}})
	csvDoc := waitFor(t, func() (telegramtest.Sent, bool) {
		for _, s := range srv.SentTo(1) {
			if s.File != nil {
				return s, true
			}
		}
		return telegramtest.Sent{}, false
	})
	if csvDoc.File.Method != "sendDocument" || !strings.HasSuffix(csvDoc.File.Name, ".csv") ||
		!bytes.HasPrefix(csvDoc.File.Data, []byte("\ufeff\"编号\"")) || !bytes.Contains(csvDoc.File.Data, []byte("13812345678")) {
		t.Errorf("CSV export: %s %q %.80q", csvDoc.File.Method, csvDoc.File.Name, csvDoc.File.Data)
	}
}
