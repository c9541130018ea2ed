package ratelimit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// heartbeat puts this worker's entry into the members bucket and, from the
// server timestamp the entry was stored with, takes a sample of the offset
// to the server clock.
func (l *Limiter) heartbeat(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	host, _ := os.Hostname()
	body, err := json.Marshal(struct {
		Host string `json:"host,omitempty"`
		PID  int    `json:"pid"`
	}{host, os.Getpid()})
	if err != nil {
		return fmt.Errorf("encode heartbeat: %w", err)
	}
	kv := l.members.handle()
	t0 := l.clk.mono()
	rev, err := kv.Put(ctx, l.cfg.WorkerID, body)
	t1 := l.clk.mono()
	if err != nil {
		l.members.repair(ctx, err)
		return fmt.Errorf("put heartbeat: %w", err)
	}
	e, err := kv.Get(ctx, l.cfg.WorkerID)
	if err != nil {
		return fmt.Errorf("read back heartbeat: %w", err)
	}
	if e.Revision() != rev {
		// Someone else put the same key meanwhile: not our timestamp.
		l.log.Warn("another process heartbeats with this worker id")
		return nil
	}
	if l.clk.add(t0, t1, e.Created().UnixNano()) {
		l.log.Warn("server clock reference changed (stream leader moved?); clock estimate reset",
			zap.Duration("uncertainty", l.clk.uncertainty()))
	}
	l.roster.see(l.cfg.WorkerID, e.Created().UnixNano())
	return nil
}

// roster is the set of workers seen heartbeating, by last heartbeat time
// (server ns). Safe for concurrent use.
type roster struct {
	mu   sync.Mutex
	seen map[string]int64
}

func newRoster() *roster { return &roster{seen: map[string]int64{}} }

func (r *roster) see(id string, at int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[id] = max(r.seen[id], at)
}

// apply feeds an entry of the members bucket: a put is a heartbeat, a delete
// or purge a clean leave.
func (r *roster) apply(e jetstream.KeyValueEntry) {
	if e.Operation() == jetstream.KeyValuePut {
		r.see(e.Key(), e.Created().UnixNano())
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.seen, e.Key())
}

// live counts the workers whose last heartbeat is less than ttl before now,
// and forgets the others.
func (r *roster) live(now int64, ttl time.Duration) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for id, at := range r.seen {
		if now-at < int64(ttl) {
			n++
		} else {
			delete(r.seen, id)
		}
	}
	return n
}

// Workers returns how many workers (this one included while Run runs) sent a
// heartbeat within the last MemberTTL: joins show within one heartbeat, clean
// leaves (Close) at once, crashes within MemberTTL. Pacing does not depend
// on it; it is for visibility.
func (l *Limiter) Workers() int {
	return l.roster.live(l.clk.now(), l.cfg.MemberTTL)
}
