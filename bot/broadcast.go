package bot

func cmdBroadcast(cc *cmdCtx) error { return refuse("broadcast is not available yet") }
