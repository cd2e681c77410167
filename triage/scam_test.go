package triage

import "testing"

func TestScamPatterns(t *testing.T) {
	for _, text := range []string{
		"灾区孩子急需帮助，扫码捐款，多少都是心意",
		"爱心接力！扫码转账到下面账户，统一采购物资",
		"長按識別二維碼捐款",
		"代购布洛芬，先付款后发货，要的私聊",
		"代购退烧药，需要的先交定金",
		"可以代购胰岛素，款到发货",
		"布洛芬 原价30 现在200，要的私聊",
		"连花清瘟原价二十多现在一盒卖150元",
		"Scan the QR code to donate to flood victims",
		"Can get insulin for you, pay upfront via bank transfer",
		"Generators, original price $300 now $900, DM me",
	} {
		if a := Assess(text); !a.Scam {
			t.Errorf("%q: not flagged as a scam (%v)", text, a.Signals)
		}
	}
}

// Pleas that mention money for medicine are pleas, not scams.
func TestMoneyForMedicineIsNoScam(t *testing.T) {
	for _, text := range []string{
		"求助：我妈需要布洛芬，钱我可以出，哪里能买到",
		"急需胰岛素，多少钱都可以，有人能帮忙买吗",
		"外婆的降压药吃完了，我们愿意出钱，求药店电话",
		"我爸需要透析，费用我们自己付，求联系透析中心",
		"My dad needs insulin, we can pay for it, where can we buy some?",
		"扫码进群领取物资信息",
		"药店布洛芬卖完了，哪里还有",
	} {
		a := Assess(text)
		if a.Scam {
			t.Errorf("%q: flagged as a scam (%v)", text, a.Signals)
		}
	}
}
