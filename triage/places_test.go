package triage

import (
	"slices"
	"testing"
)

// Street names are never cut by a district or gazetteer match, nor by a
// function character inside them (和平路, 国和路), nor by a word that
// begins with a place suffix (区长 in 普陀区长风路). Addresses written for
// this test, in the four cities whose addresses the bot sees most.
func TestStreetAddresses(t *testing.T) {
	cases := []struct {
		text string
		want []string
	}{
		// Shanghai
		{"求助，我住在静安区共和新路1234弄5号，老人没药了", []string{"静安区共和新路1234弄5号"}},
		{"共和新路1234弄", []string{"共和新路1234弄"}},
		{"普陀区长寿路100号", []string{"普陀区长寿路100号"}},
		{"静安区长寿路", []string{"静安区长寿路"}},
		{"普陀区长风路300号", []string{"普陀区长风路300号"}},
		{"长风路300号", []string{"长风路300号"}},
		{"上海市杨浦区国和路88弄2号", []string{"上海市杨浦区国和路88弄2号"}},
		{"国和路88弄", []string{"国和路88弄"}},
		{"我家在和平路5号，求帮忙买菜", []string{"和平路5号"}},
		{"虹口区四平路1200号", []string{"虹口区四平路1200号"}},
		// Beijing
		{"北京市朝阳区建国路88号", []string{"北京市朝阳区建国路88号"}},
		{"海淀区中关村大街27号", []string{"海淀区中关村大街27号"}},
		{"东城区和平里北街12号", []string{"东城区和平里北街12号"}},
		// Hong Kong (Traditional script)
		{"香港九龍彌敦道123號", []string{"九龙弥敦道123号"}},
		{"灣仔軒尼詩道200號", []string{"湾仔轩尼诗道200号"}},
		// Taipei
		{"台北市大安區忠孝東路四段100號", []string{"台北市大安区忠孝东路四段100号"}},
		{"台北市中正區重慶南路一段122號", []string{"台北市中正区重庆南路一段122号"}},
	}
	for _, c := range cases {
		if got := Assess(c.text).Places; !slices.Equal(got, c.want) {
			t.Errorf("%q: places %q, want %q", c.text, got, c.want)
		}
	}
}

// Words ending in 道 that are no road stay out of the places, and so do
// titles such as 区长 when no road follows them.
func TestNotRoads(t *testing.T) {
	for _, text := range []string{
		"我不知道该怎么办，求助",
		"新闻报道说水还在涨",
		"区长说明天恢复供水",
		"有没有渠道买到胰岛素",
	} {
		if got := Assess(text).Places; len(got) != 0 {
			t.Errorf("%q: places %q, want none", text, got)
		}
	}
}
