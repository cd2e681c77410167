package wechat

import "errors"

func qrText(content string) (string, error) { return "", errors.New("todo") }
