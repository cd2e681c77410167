package env

import "sync"

// Changes fans the store's commit notices (which cases changed) out to
// open boards. A slow subscriber never blocks a commit: its pending
// notice absorbs later ones (it only needs to know something changed).
type Changes struct {
	mu   sync.Mutex
	subs map[chan []int64]struct{}
}

// NewChanges makes an empty broadcaster.
func NewChanges() *Changes { return &Changes{subs: map[chan []int64]struct{}{}} }

// Publish tells every subscriber that cases changed. It never blocks.
func (c *Changes) Publish(cases []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for ch := range c.subs {
		select {
		case ch <- cases:
		default:
			// A notice is already waiting: the subscriber reloads anyway.
		}
	}
}

// Subscribe returns a channel of change notices and the function that
// ends the subscription.
func (c *Changes) Subscribe() (<-chan []int64, func()) {
	ch := make(chan []int64, 1)
	c.mu.Lock()
	c.subs[ch] = struct{}{}
	c.mu.Unlock()
	return ch, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.subs, ch)
	}
}

// Subscribers is how many boards are listening.
func (c *Changes) Subscribers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.subs)
}
