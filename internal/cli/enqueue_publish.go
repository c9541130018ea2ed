package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/internal/admin"
	"github.com/couponq/couponq/internal/config"
	"github.com/couponq/couponq/internal/jobfile"
	"github.com/couponq/couponq/jobs"
)

// drainTimeout bounds waiting for the acknowledgements of jobs in flight
// after the input ends or the run is interrupted.
const drainTimeout = 30 * time.Second

// campaignRun is one publishing run of a campaign file.
type campaignRun struct {
	pass           *campaignPass
	o              *enqueueOptions
	cfg            *config.Config
	manifest       *admin.CampaignRun
	manifestWarned bool
	// fresh counts jobs stored new, dups jobs JetStream already had,
	// failed jobs that could not be stored.
	fresh, dups, failed int64
	want                []string
}

// publish reads the file and publishes every good job asynchronously, at
// most --window awaiting their acknowledgement, with a progress bar.
func (c *campaignRun) publish(ctx context.Context, js jetstream.JetStream, src fileSource, format jobfile.Format, totalLines int64, stdout, stderr io.Writer) int {
	r, closer, err := src.reader(format, c.o.typ)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	defer func() { _ = closer.Close() }()
	// Publishing and saving go on after an interrupt until the jobs in
	// flight are acknowledged, so the next run knows what is stored.
	bctx := context.WithoutCancel(ctx)
	mctx, cancel := context.WithTimeout(bctx, 10*time.Second)
	c.manifest, err = admin.StartCampaign(mctx, js, c.cfg.Streams.Replicas, c.pass.campaign, src.path, time.Now().UTC())
	cancel()
	if err != nil {
		fmt.Fprintf(stderr, "warning: campaign manifest not written (watch will not know the total): %v\n", err)
	}
	batch := jobs.NewProducer(js, jobs.ProducerConfig{}).NewBatch(jobs.BatchConfig{Window: c.o.window, OnDone: c.done})
	bar := newProgress(stderr, totalLines, "publishing "+c.pass.campaign, "lines", !c.o.noProgress)
	pl := c.pass.pipeline(r)
	defer pl.close()
	interrupted, fileErr := false, error(nil)
	lastLine, lastSave := int64(0), time.Now()
	for {
		if ctx.Err() != nil {
			interrupted = true
			break
		}
		prep, err := pl.next()
		bar.Add(int(c.pass.lines - lastLine))
		lastLine = c.pass.lines
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fileErr = err
			break
		}
		if err := batch.AddPrepared(bctx, prep); err != nil {
			fileErr = err
			break
		}
		if c.o.wait {
			c.want = append(c.want, prep.MsgID)
		}
		if time.Since(lastSave) >= manifestEvery {
			lastSave = time.Now()
			c.saveManifest(bctx, jobs.CampaignPublishing)
		}
	}
	if ctx.Err() != nil {
		interrupted = true // the input may have ended because of the signal
	}
	dctx, cancel := context.WithTimeout(bctx, drainTimeout)
	defer cancel()
	if _, err := batch.Wait(dctx); err != nil {
		fmt.Fprintln(stderr, err)
		interrupted = true
	}
	bar.Finish()
	state := jobs.CampaignPublished
	if interrupted || fileErr != nil {
		state = jobs.CampaignInterrupted
	}
	c.saveManifest(dctx, state)
	c.summary(stderr, state, fileErr)
	switch {
	case fileErr != nil:
		return exitUsage
	case interrupted || c.failed > 0:
		return exitFailed
	case c.pass.good == 0 && c.pass.bad == 0:
		fmt.Fprintln(stderr, "the file has no jobs")
		return exitUsage
	}
	code := exitOK
	if c.o.wait && len(c.want) > 0 {
		code = awaitAndPrint(ctx, js, c.want, c.dups > 0, c.o, stdout, stderr)
	}
	if c.pass.bad > 0 {
		return exitBadLines
	}
	return code
}

// done is called once per job when it is stored or has finally failed.
func (c *campaignRun) done(prep *jobs.Prepared, pub *jobs.Published, err error) {
	switch {
	case err != nil:
		c.failed++
		fmt.Fprintf(c.pass.stderr, "not enqueued %s: %v\n", prep.MsgID, err)
	case pub.Duplicate:
		c.dups++
		if c.dups <= maxDuplicatesNamed {
			fmt.Fprintf(c.pass.stderr, "duplicate %s (already enqueued; one result)\n", pub.MsgID)
		}
	default:
		c.fresh++
	}
}

// summary says what the run did and what to do next.
func (c *campaignRun) summary(w io.Writer, state string, fileErr error) {
	p := c.pass
	if fileErr != nil {
		fmt.Fprintf(w, "--file %s: %v\n", c.o.file, fileErr)
	}
	fmt.Fprintf(w, "campaign %s: %s lines read, %s jobs enqueued (%s new, %s already enqueued), %s bad lines, %s not enqueued\n",
		p.campaign, thousands(p.lines), thousands(c.fresh+c.dups), thousands(c.fresh), thousands(c.dups),
		thousands(p.bad), thousands(c.failed))
	if c.dups > maxDuplicatesNamed {
		fmt.Fprintf(w, "(%s duplicates not named)\n", thousands(c.dups-maxDuplicatesNamed))
	}
	if state == jobs.CampaignInterrupted || c.failed > 0 {
		fmt.Fprintf(w, "interrupted: run the same command again to publish the rest (jobs already stored are skipped as duplicates; keep --campaign %s)\n", p.campaign)
	}
	fmt.Fprintf(w, "follow it: couponq watch %s\n", p.campaign)
}
