package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/jobs"
)

// GetCampaign reads campaign id's manifest; nil (and no error) when there
// is none.
func GetCampaign(ctx context.Context, js jetstream.JetStream, id string) (*jobs.Campaign, error) {
	kv, err := OpenBucket(ctx, js, jobs.CampaignsBucket)
	if err != nil || kv == nil {
		return nil, err
	}
	c, _, err := getCampaign(ctx, kv, id)
	return c, err
}

func getCampaign(ctx context.Context, kv jetstream.KeyValue, id string) (*jobs.Campaign, uint64, error) {
	e, err := kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read campaign %s: %w", id, err)
	}
	var c jobs.Campaign
	if err := json.Unmarshal(e.Value(), &c); err != nil {
		return nil, 0, fmt.Errorf("campaign %s: bad manifest: %w", id, err)
	}
	return &c, e.Revision(), nil
}

// CampaignRun records one enqueue run of a campaign in its manifest. The
// manifest's Total grows by the jobs this run stored new; concurrent runs of
// the same campaign each add their own (compare-and-set on the revision).
type CampaignRun struct {
	kv    jetstream.KeyValue
	id    string
	file  string
	saved int64 // new jobs already added to the manifest's Total
}

// CampaignProgress is what a run reports at each save.
type CampaignProgress struct {
	// New counts jobs stored new by this run so far (not duplicates).
	New int64
	// Lines, Good and Bad count the lines read so far.
	Lines, Good, Bad int64
	// Types seen so far.
	Types []jobs.Type
	// State is jobs.CampaignPublishing while the run goes on, then
	// CampaignPublished or CampaignInterrupted.
	State string
}

// StartCampaign opens (or creates) campaign id's manifest for a new run of
// file and marks it publishing.
func StartCampaign(ctx context.Context, js jetstream.JetStream, replicas int, id, file string, now time.Time) (*CampaignRun, error) {
	kv, err := EnsureBucket(ctx, js, jobs.CampaignsBucketConfig(replicas))
	if err != nil {
		return nil, err
	}
	r := &CampaignRun{kv: kv, id: id, file: file}
	err = r.update(ctx, func(c *jobs.Campaign) {
		if c.StartedAt.IsZero() {
			c.StartedAt = now
		}
		c.Runs++
		c.File = file
		c.State = jobs.CampaignPublishing
		c.Lines, c.Good, c.Bad = 0, 0, 0
		c.UpdatedAt = now
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Save records the run's progress.
func (r *CampaignRun) Save(ctx context.Context, p CampaignProgress) error {
	delta := p.New - r.saved
	err := r.update(ctx, func(c *jobs.Campaign) {
		c.Total += delta
		c.Lines, c.Good, c.Bad = p.Lines, p.Good, p.Bad
		for _, t := range p.Types {
			if !slices.Contains(c.Types, t) {
				c.Types = append(c.Types, t)
			}
		}
		slices.Sort(c.Types)
		c.State = p.State
		c.UpdatedAt = time.Now().UTC()
	})
	if err == nil {
		r.saved = p.New
	}
	return err
}

// update applies change to the manifest with compare-and-set, retrying on
// a concurrent writer.
func (r *CampaignRun) update(ctx context.Context, change func(*jobs.Campaign)) error {
	for range 20 {
		c, rev, err := getCampaign(ctx, r.kv, r.id)
		if err != nil {
			return err
		}
		if c == nil {
			c = &jobs.Campaign{ID: r.id}
		}
		change(c)
		data, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("encode campaign: %w", err)
		}
		if rev == 0 {
			_, err = r.kv.Create(ctx, r.id, data)
		} else {
			_, err = r.kv.Update(ctx, r.id, data, rev)
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !isWrongSequence(err) {
			return fmt.Errorf("save campaign %s: %w", r.id, err)
		}
	}
	return fmt.Errorf("save campaign %s: too many concurrent writers", r.id)
}

// isWrongSequence reports a compare-and-set conflict of KV Update.
func isWrongSequence(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}
