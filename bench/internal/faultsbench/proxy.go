package faultsbench

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// proxy is a small TCP proxy on loopback standing between the workers and
// one of their peers (NATS, the API's primary host). cut closes every
// connection through it and refuses new ones, as a network partition
// seen by clients that notice it at once; heal lets connections through
// again.
type proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]bool
	done  bool
}

// newProxy listens on a free loopback port and forwards to target.
func newProxy(target string) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy listen: %w", err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go p.serve()
	return p, nil
}

// addr is the proxy's host:port.
func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		p.mu.Lock()
		refuse := p.cut || p.done
		if !refuse {
			p.conns[c] = true
		}
		p.mu.Unlock()
		if refuse {
			_ = c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *proxy) pipe(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		p.drop(c)
		return
	}
	p.mu.Lock()
	if p.cut || p.done {
		p.mu.Unlock()
		_ = up.Close()
		p.drop(c)
		return
	}
	p.conns[up] = true
	p.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, _ = io.Copy(up, c); p.drop(up) }()
	go func() { defer wg.Done(); _, _ = io.Copy(c, up); p.drop(c) }()
	wg.Wait()
	p.drop(c)
	p.drop(up)
}

func (p *proxy) drop(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

// setCut cuts (true) or heals (false) the link.
func (p *proxy) setCut(cut bool) {
	p.mu.Lock()
	p.cut = cut
	var open []net.Conn
	if cut {
		for c := range p.conns {
			open = append(open, c)
		}
		p.conns = map[net.Conn]bool{}
	}
	p.mu.Unlock()
	for _, c := range open {
		_ = c.Close()
	}
}

// close stops the proxy and its connections.
func (p *proxy) close() {
	p.mu.Lock()
	p.done = true
	p.mu.Unlock()
	p.setCut(true)
	_ = p.ln.Close()
}
