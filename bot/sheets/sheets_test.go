package sheets

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

var syn = Synonyms{
	"text":  {"求助内容", "内容", "request", "text"},
	"phone": {"电话", "联系电话", "phone"},
	"place": {"地址", "address"},
}

func TestReadCSVEncodingsAndSeparators(t *testing.T) {
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String("内容,电话\r\n没药了,13812345678\r\n")
	for name, in := range map[string]string{
		"utf8":     "内容,电话\n没药了,13812345678\n",
		"bom":      "\ufeff内容,电话\n没药了,13812345678\n",
		"gbk":      gbk,
		"tab":      "内容\t电话\n没药了\t13812345678\n",
		"blank":    "\n,\n内容,电话\n,\n没药了,13812345678\n",
		"semicol":  "内容;电话\n没药了;13812345678\n",
		"trailing": "内容,电话,地址\n没药了,13812345678\n",
	} {
		tb, err := ReadCSV([]byte(in))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if strings.Join(tb.Header[:2], "|") != "内容|电话" || len(tb.Rows) != 1 || tb.Rows[0][0] != "没药了" || tb.Rows[0][1] != "13812345678" {
			t.Errorf("%s: %+v", name, tb)
		}
	}
	if _, err := ReadCSV([]byte("\n\n")); err == nil {
		t.Error("an empty file read without error")
	}
	if _, err := ReadCSV([]byte{0xff, 0xfe, 0x00, 0x41}); err == nil {
		t.Error("binary read as text")
	}
}

func TestMap(t *testing.T) {
	tests := []struct {
		header   []string
		override map[string]string
		want     string // field=col,…
		err      string
	}{
		{[]string{"求助内容", "联系电话", "备注"}, nil, "phone=1 text=0", ""},
		{[]string{"Request", "Phone No.", "ADDRESS"}, nil, "place=2 text=0", ""}, // "Phone No." contains phone
		{[]string{"详细地址", "具体求助内容"}, nil, "place=0 text=1", ""},
		{[]string{"留言", "电话"}, nil, "", `no column for "text"`},
		{[]string{"留言", "电话"}, map[string]string{"留言": "text"}, "phone=1 text=0", ""},
		{[]string{"留言", "电话"}, map[string]string{"1": "text", "电话": "-"}, "text=0", ""},
		{[]string{"留言"}, map[string]string{"别的": "text"}, "", `no column "别的"`},
		{[]string{"留言"}, map[string]string{"留言": "what"}, "", `unknown field "what"`},
	}
	for _, tt := range tests {
		m, _, err := Map(tt.header, syn, tt.override, "text")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v %v: err %v, want %q", tt.header, tt.override, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tt.header, err)
			continue
		}
		var got []string
		for _, f := range syn.fields() {
			if i, ok := m[f]; ok {
				got = append(got, f+"="+string(rune('0'+i)))
			}
		}
		if tt.header[1] == "Phone No." {
			tt.want = "phone=1 place=2 text=0"
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("%v: %s, want %s", tt.header, g, tt.want)
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("内容,电话\n没药了,13812345678\n"))
	f.Add([]byte("\"a\"\"b\",c\r\n"))
	f.Add([]byte{0xc4, 0xda, 0xc8, 0xdd, 0x2c})
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := ReadCSV(data)
		if err != nil {
			return
		}
		if tb.Header == nil || len(tb.Rows) != len(tb.Line) {
			t.Fatalf("inconsistent table %+v", tb)
		}
		m, _, err := Map(tb.Header, syn, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range tb.Rows {
			_ = m.Get(r, "text")
		}
	})
}
