package pyexec

import (
	"container/list"
	"context"
	"sync"
)

// queue hands out items (interpreters, or the pool's run slots) to callers
// first come, first served. The order is kept here, not left to the
// runtime, so that a queued call's turn is well defined.
type queue[T any] struct {
	mu      sync.Mutex
	free    []T
	waiting list.List // of *waiter[T], oldest first
	closed  bool
	// drop frees an item that get must give back once the queue is closed
	// (a caller whose context ended as an item was handed to it): nobody
	// else holds it then. Nil: items need no freeing.
	drop func(T)
}

type waiter[T any] struct {
	got    chan handoff[T] // buffered
	handed bool            // put or close has sent to got
}

// handoff is one item handed to a waiter; ok is false once the queue is
// closed.
type handoff[T any] struct {
	v  T
	ok bool
}

// get returns a free item, waiting in turn for one. It returns ErrClosed
// once the queue is closed, and ctx's error when ctx ends first (even if an
// item came at the same moment: a call whose deadline passed while queued
// must not run).
func (q *queue[T]) get(ctx context.Context) (T, error) {
	var zero T
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return zero, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		q.mu.Unlock()
		return zero, err
	}
	if n := len(q.free); n > 0 {
		v := q.free[n-1] // the most recently used: an interpreter's pages are warm
		q.free = q.free[:n-1]
		q.mu.Unlock()
		return v, nil
	}
	w := &waiter[T]{got: make(chan handoff[T], 1)}
	el := q.waiting.PushBack(w)
	q.mu.Unlock()
	select {
	case h := <-w.got:
		if !h.ok {
			return zero, ErrClosed
		}
		if err := ctx.Err(); err != nil {
			q.giveBack(h.v)
			return zero, err
		}
		return h.v, nil
	case <-ctx.Done():
		q.mu.Lock()
		handed := w.handed
		if !handed {
			q.waiting.Remove(el)
		}
		q.mu.Unlock()
		if handed {
			if h := <-w.got; h.ok {
				q.giveBack(h.v)
			}
		}
		return zero, ctx.Err()
	}
}

// giveBack puts back an item handed to a caller that cannot take it, and
// drops it if the queue closed meanwhile.
func (q *queue[T]) giveBack(v T) {
	if !q.put(v) && q.drop != nil {
		q.drop(v)
	}
}

// tryGet takes a free item without waiting; ok is false when none is free
// (or the queue is closed).
func (q *queue[T]) tryGet() (v T, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := len(q.free)
	if q.closed || n == 0 {
		return v, false
	}
	v = q.free[n-1]
	q.free = q.free[:n-1]
	return v, true
}

// put returns an item: to the longest-waiting caller, else to the free
// ones. Once the queue is closed it returns false and keeps nothing (the
// caller frees the item).
func (q *queue[T]) put(v T) bool { return q.give(v, false) }

// putCold returns an item nobody has used yet (a replacement): to the
// longest-waiting caller, else below the free ones, so that get still
// hands out the most recently used first. In the shared model that one
// holds the state the last call left, which the next call must see.
func (q *queue[T]) putCold(v T) bool { return q.give(v, true) }

func (q *queue[T]) give(v T, cold bool) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	if front := q.waiting.Front(); front != nil {
		w := q.waiting.Remove(front).(*waiter[T])
		w.handed = true
		w.got <- handoff[T]{v, true}
		return true
	}
	if cold {
		q.free = append([]T{v}, q.free...)
	} else {
		q.free = append(q.free, v)
	}
	return true
}

// waiters is the number of callers waiting.
func (q *queue[T]) waiters() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.waiting.Len()
}

// close wakes every waiting caller with ErrClosed and returns the free
// items, for the pool to free.
func (q *queue[T]) close() []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	for el := q.waiting.Front(); el != nil; el = el.Next() {
		w := el.Value.(*waiter[T])
		w.handed = true
		w.got <- handoff[T]{}
	}
	q.waiting.Init()
	free := q.free
	q.free = nil
	return free
}
