package triage

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

// regionEngine returns a fresh engine reading bare numbers as region.
func regionEngine(t testing.TB, region PhoneRegion) *Engine {
	t.Helper()
	e, err := NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	e.SetPhoneRegion(region)
	return e
}

func TestPhoneRegionsReadBareNumbers(t *testing.T) {
	engines := map[PhoneRegion]*Engine{}
	for _, r := range phoneRegions {
		engines[r] = regionEngine(t, r)
	}
	cases := []struct {
		text string
		want map[PhoneRegion][]string // regions not listed: no phone
		all  []string                 // the same phones in every region
	}{
		// Hong Kong: 8 digits, 2/3 landlines, 5/6/9 mobiles; bare only under HK.
		{text: "我阿媽跌倒咗，電話 9123 4567", want: map[PhoneRegion][]string{RegionHK: {"+85291234567"}}},
		{text: "聯絡：6123-4567 陳太", want: map[PhoneRegion][]string{RegionHK: {"+85261234567"}, RegionMO: {"+85361234567"}}},
		{text: "屋企電話27001234", want: map[PhoneRegion][]string{RegionHK: {"+85227001234"}}},
		{text: "請打 +852 9123 4567 搵我", all: []string{"+85291234567"}},
		{text: "whatsapp 852-9123-4567 please", all: []string{"+85291234567"}},
		{text: "call (852) 9123 4567", all: []string{"+85291234567"}},
		{text: "打 00852 2345 6789", all: []string{"+85223456789"}},
		// Macau: 6xxxxxxx mobiles, 28xxxxxx landlines.
		{text: "澳門 電話 2856 1234", want: map[PhoneRegion][]string{RegionHK: {"+85228561234"}, RegionMO: {"+85328561234"}}},
		{text: "+853 6612 3456", all: []string{"+85366123456"}},
		{text: "853 66123456 搵我", all: []string{"+85366123456"}},
		// Taiwan: 09xx-xxx-xxx mobiles and 0x landlines under TW; the same
		// digits are a mainland landline (0912 Yulin) under CN.
		{text: "我阿公跌倒了，請打0912-345-678", want: map[PhoneRegion][]string{
			RegionTW: {"+886912345678"}, RegionCN: {"0912-345678"}, RegionHK: {"0912-345678"}, RegionMO: {"0912-345678"}}},
		{text: "家裡電話 (02) 2345-6789", want: map[PhoneRegion][]string{RegionTW: {"+886223456789"}}},
		{text: "+886 912 345 678", all: []string{"+886912345678"}},
		{text: "+886 (0)912-345-678", all: []string{"+886912345678"}},
		{text: "886 912 345 678", all: []string{"+886912345678"}},
		// International with + or 00, and a bare country code where no
		// local number looks like it.
		{text: "call +1 (415) 555-2671 now", all: []string{"+14155552671"}},
		{text: "my son's number is 1 415 555 2671", all: []string{"+14155552671"}},
		{text: "ring 00 44 20 7946 0958", all: []string{"+442079460958"}},
		{text: "UK mobile 44 7700 900123", all: []string{"+447700900123"}},
		{text: "+44 (0)20 7946 0958", all: []string{"+442079460958"}},
		{text: "tel:+14155552671", all: []string{"+14155552671"}},
		{text: "+81 90-1234-5678 (Japan)", all: []string{"+819012345678"}},
		// Mainland numbers read the same everywhere.
		{text: "电话13812345678", all: []string{"13812345678"}},
		{text: "电话一三八一二三四五六七八", all: []string{"13812345678"}},
		{text: "电话 幺三八 幺二三四 五六七八", all: []string{"13812345678"}},
		{text: "电话 138一二三四5678", all: []string{"13812345678"}},
		{text: "电话 138.1234.5678", all: []string{"13812345678"}},
		{text: "2022-04-15 13812345678 李", all: []string{"13812345678"}},
		// Look-alikes: dates, prices, counts, order and case numbers.
		{text: "2022-04-15 水浸到二楼"},
		{text: "15.04.2022 flood at 2022/04/15"},
		{text: "布洛芬 HK$12345678 太贵"},
		{text: "需要20000000元"},
		{text: "需要 2000-3000 个沙包"},
		{text: "sandbags 2000-3000 needed"},
		{text: "订单号 91234567 还没到"},
		{text: "order #91234567 has not arrived"},
		{text: "个案 #12345678 已处理"},
		{text: "共 12345678 人受影响"},
		{text: "ID 13812345678123 不是电话"},
		{text: "20220415 那天"},
	}
	for _, c := range cases {
		for _, r := range phoneRegions {
			want := c.want[r]
			if c.all != nil {
				want = c.all
			}
			got := engines[r].Assess(c.text).Phones
			if !slices.Equal(got, want) {
				t.Errorf("%s %q: phones %q, want %q", r, c.text, got, want)
			}
		}
	}
}

func TestParsePhoneRegion(t *testing.T) {
	for in, want := range map[string]PhoneRegion{"": RegionCN, "cn": RegionCN, " HK ": RegionHK, "mo": RegionMO, "TW": RegionTW} {
		got, err := ParsePhoneRegion(in)
		if err != nil || got != want {
			t.Errorf("ParsePhoneRegion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"US", "china", "852"} {
		if _, err := ParsePhoneRegion(bad); err == nil {
			t.Errorf("ParsePhoneRegion(%q): no error", bad)
		}
	}
}

func TestDefaultPhoneRegionIsCN(t *testing.T) {
	e := regionEngine(t, "")
	if got := e.PhoneRegion(); got != RegionCN {
		t.Fatalf("default region %q, want CN", got)
	}
	e.SetPhoneRegion(RegionHK)
	if got := e.PhoneRegion(); got != RegionHK {
		t.Fatalf("region %q after SetPhoneRegion(HK)", got)
	}
}

// TestSetPhoneRegionWhileAssessing runs under -race: the setting may change
// while other goroutines assess.
func TestSetPhoneRegionWhileAssessing(t *testing.T) {
	e := regionEngine(t, RegionCN)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				ph := e.Assess(fmt.Sprintf("電話 9123 45%02d", i%100)).Phones
				if len(ph) > 1 {
					t.Errorf("phones %v", ph)
					return
				}
			}
		}()
	}
	for i := 0; i < 200; i++ {
		e.SetPhoneRegion(phoneRegions[i%len(phoneRegions)])
	}
	wg.Wait()
}
