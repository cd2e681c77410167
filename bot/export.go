package bot

func cmdExport(cc *cmdCtx) error { return refuse("export is not available yet") }
