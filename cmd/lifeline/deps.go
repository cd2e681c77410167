package main

import (
	_ "github.com/BobuSumisu/aho-corasick"
	_ "github.com/eatmoreapple/openwechat"
	_ "github.com/go-telegram/bot"
	_ "github.com/robfig/cron/v3"
	_ "go.etcd.io/bbolt"
	_ "golang.org/x/text/width"
	_ "gopkg.in/yaml.v3"
)

func main() {}
