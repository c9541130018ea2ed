package jobs

import (
	"regexp"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// CampaignsBucket is the KV bucket (file storage) of campaign manifests,
// keyed by campaign id. `enqueue --file` writes one per campaign so that
// readers (`couponq watch`) know how many jobs to expect.
const CampaignsBucket = "couponq_campaigns"

// MetaCampaign is the key of the campaign id in a campaign job's meta
// object (and so in its result's meta).
const MetaCampaign = "campaign"

// campaignIDPattern: a fairness key that is also a valid KV key.
var campaignIDPattern = regexp.MustCompile(`^[0-9A-Za-z_-]([0-9A-Za-z_.-]{0,62}[0-9A-Za-z_-])?$`)

// ValidCampaignID reports whether s can name a campaign: 1-64 characters of
// [0-9A-Za-z_.-], not starting or ending with a dot (it is used as the jobs'
// fairness key and as a KV key).
func ValidCampaignID(s string) bool { return campaignIDPattern.MatchString(s) }

// Campaign states in a manifest.
const (
	// CampaignPublishing: an enqueue run is publishing (or was killed while
	// it did; run it again to finish).
	CampaignPublishing = "publishing"
	// CampaignPublished: the last run read the whole file.
	CampaignPublished = "published"
	// CampaignInterrupted: the last run stopped early (interrupt, error);
	// running it again publishes the rest and skips what is stored.
	CampaignInterrupted = "interrupted"
)

// Campaign is a campaign manifest: what enqueue published for it.
type Campaign struct {
	// ID is the campaign id (also the key).
	ID string `json:"id"`
	// Types are the job types of its jobs.
	Types []Type `json:"types"`
	// Total is the number of distinct jobs stored for the campaign, summed
	// over every run (a re-run adds only the jobs not stored before).
	Total int64 `json:"total"`
	// Good and Bad count the valid and refused lines of the last run.
	Good int64 `json:"good"`
	Bad  int64 `json:"bad"`
	// Lines is the number of lines the last run read.
	Lines int64 `json:"lines"`
	// State is CampaignPublishing, CampaignPublished or CampaignInterrupted.
	State string `json:"state"`
	// Runs counts enqueue runs of the campaign.
	Runs int `json:"runs"`
	// File is the input file of the last run ("-" for stdin).
	File string `json:"file"`
	// StartedAt is when the first run started; UpdatedAt the last update.
	StartedAt time.Time `json:"started_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CampaignsBucketConfig is the configuration of CampaignsBucket, the same
// for every process that creates it.
func CampaignsBucketConfig(replicas int) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{
		Bucket:      CampaignsBucket,
		Description: "couponq campaign manifests (enqueue --file)",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
	}
}
