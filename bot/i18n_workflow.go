package bot

// zhWorkflowText holds the Chinese replies of the coordinators' commands.
var zhWorkflowText = map[string]string{}
