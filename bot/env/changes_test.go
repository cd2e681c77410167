package env

import (
	"slices"
	"testing"
)

func TestChangesFanOutWithoutBlocking(t *testing.T) {
	c := NewChanges()
	a, stopA := c.Subscribe()
	b, stopB := c.Subscribe()
	c.Publish([]int64{1})
	c.Publish([]int64{2}) // a full subscriber does not block the publisher
	if got := <-a; !slices.Equal(got, []int64{1}) {
		t.Fatalf("a got %v", got)
	}
	if got := <-b; !slices.Equal(got, []int64{1}) {
		t.Fatalf("b got %v", got)
	}
	stopB()
	if n := c.Subscribers(); n != 1 {
		t.Fatalf("subscribers %d, want 1", n)
	}
	c.Publish([]int64{3})
	if got := <-a; !slices.Equal(got, []int64{3}) {
		t.Fatalf("a got %v", got)
	}
	select {
	case got := <-b:
		t.Fatalf("unsubscribed b got %v", got)
	default:
	}
	stopA()
}
