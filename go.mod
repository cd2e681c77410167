module github.com/lifeline-aid/lifeline

go 1.26.8

require (
	github.com/eatmoreapple/openwechat v1.4.8
	github.com/go-telegram/bot v1.19.0
	github.com/robfig/cron/v3 v3.0.1
	go.etcd.io/bbolt v1.5.0
	golang.org/x/text v0.43.0
	gopkg.in/yaml.v3 v3.0.1
)

require golang.org/x/sys v0.45.0 // indirect
