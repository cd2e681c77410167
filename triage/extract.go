package triage

// Extraction caps: a plea names a handful of each; beyond that it is a
// pasted list and more entries would only bloat the case card.
const (
	maxPhones    = 6
	maxDurations = 6
	maxPlaces    = 8
)
