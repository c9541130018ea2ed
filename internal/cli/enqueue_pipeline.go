package cli

import (
	"runtime"

	"github.com/couponq/couponq/internal/jobfile"
	"github.com/couponq/couponq/jobs"
)

// pipelineChunk is how many consecutive records travel together through
// the pipeline: enough to make the hand-offs cheap, few enough to keep
// memory small (a chunk of typical lines is well under 1 MiB).
const pipelineChunk = 256

// pipelineDepth is how many chunks per worker may be read ahead of the one
// being published. Memory is bounded by about
// (2·pipelineDepth + 1)·workers + 1 chunks whatever the file's size.
const pipelineDepth = 2

// chunk is a run of consecutive records of the file and, once done is
// closed, what preparing them gave.
type chunk struct {
	recs  []jobfile.Record
	preps []*jobs.Prepared
	errs  []error
	// end is the reader's error after the last record (io.EOF at the end
	// of the file), or nil when more chunks follow.
	end  error
	done chan struct{}
}

// passPipeline prepares the records of a file on every core and hands them
// back in the file's order: one goroutine reads, GOMAXPROCS workers
// prepare (decode, campaign defaults, the worker's validation, encoding),
// and next, on the caller's goroutine, reports bad lines and counts, in
// line order, exactly as campaignPass.next would one record at a time.
type passPipeline struct {
	p     *campaignPass
	order chan *chunk
	stop  chan struct{}
	cur   *chunk
	i     int
}

// pipeline starts reading r. The caller must call close when done with it.
func (p *campaignPass) pipeline(r jobfile.Reader) *passPipeline {
	workers := max(1, runtime.GOMAXPROCS(0))
	depth := pipelineDepth * workers
	pl := &passPipeline{p: p, order: make(chan *chunk, depth), stop: make(chan struct{})}
	work := make(chan *chunk, depth)
	go pl.read(r, work)
	for w := 0; w < workers; w++ {
		go p.prepareChunks(work)
	}
	return pl
}

// read cuts the file into chunks and queues each for a worker and, in
// order, for next.
func (pl *passPipeline) read(r jobfile.Reader, work chan<- *chunk) {
	defer close(work)
	la, _ := r.(jobfile.Lookahead)
	for {
		c := &chunk{recs: make([]jobfile.Record, 0, pipelineChunk), done: make(chan struct{})}
		for len(c.recs) < pipelineChunk {
			if len(c.recs) > 0 && la != nil && la.WouldWait() {
				break // hand on what came; the next line may be a while
			}
			rec, err := r.Next()
			if err != nil {
				c.end = err
				break
			}
			c.recs = append(c.recs, rec)
		}
		select {
		case pl.order <- c:
		case <-pl.stop:
			return
		}
		select {
		case work <- c:
		case <-pl.stop:
			return
		}
		if c.end != nil {
			return
		}
	}
}

// prepareChunks prepares the good records of each chunk. It touches only
// the chunk and reads p's settings, which do not change during a run.
func (p *campaignPass) prepareChunks(work <-chan *chunk) {
	for c := range work {
		c.preps = make([]*jobs.Prepared, len(c.recs))
		c.errs = make([]error, len(c.recs))
		for i, rec := range c.recs {
			if rec.Err == nil {
				c.preps[i], c.errs[i] = p.prepare(rec.Job)
			}
		}
		close(c.done)
	}
}

// next returns the next good job, prepared, in the file's order; io.EOF at
// the end; any other error ends the file. Bad lines before it are reported
// and counted as they come.
func (pl *passPipeline) next() (*jobs.Prepared, error) {
	for {
		if pl.cur == nil || pl.i == len(pl.cur.recs) {
			if pl.cur != nil && pl.cur.end != nil {
				return nil, pl.cur.end
			}
			pl.cur, pl.i = <-pl.order, 0
			<-pl.cur.done
			continue
		}
		c, i := pl.cur, pl.i
		pl.i++
		if prep, ok := pl.p.outcome(c.recs[i], c.preps[i], c.errs[i]); ok {
			c.recs[i], c.preps[i] = jobfile.Record{}, nil // free as we go
			return prep, nil
		}
	}
}

// close stops the reader and the workers; chunks in flight are dropped.
func (pl *passPipeline) close() { close(pl.stop) }
