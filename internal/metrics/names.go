package metrics

// The names of every couponq metric. Counters end in _total, durations are
// in seconds, rates in requests per second. Per-process metrics count what
// this worker did; fleet metrics (filled at scrape time from an fleetview.Source)
// are the same on every worker.
const (
	// Per process, recorded on the hot path.

	// NameJobsFinished counts jobs that got their one result, by type,
	// outcome (succeeded, failed) and code ("" for succeeded).
	NameJobsFinished = "couponq_jobs_finished_total"
	// NameJobAttempts is a histogram of the attempts a finished job took,
	// by type and outcome.
	NameJobAttempts = "couponq_job_attempts"
	// NameAttempts counts processing attempts (deliveries worked on), by type.
	NameAttempts = "couponq_attempts_total"
	// NameAPIRequestDuration is a histogram of WeChat Pay API call latency,
	// by endpoint (the job type) and status_class.
	NameAPIRequestDuration = "couponq_api_request_duration_seconds"
	// NameThrottled counts 429 answers, by mchid and type.
	NameThrottled = "couponq_throttled_total"
	// NameRateWait is a histogram of the time jobs waited for rate budget,
	// by type.
	NameRateWait = "couponq_rate_wait_seconds"
	// NameRedeliveries counts jobs delivered again (a retry or a crashed
	// worker's job), by type.
	NameRedeliveries = "couponq_redeliveries_total"
	// NameInFlight is the number of jobs this worker holds now, by type.
	NameInFlight = "couponq_in_flight_jobs"
	// NameDeadLetters counts dead letters this worker stored, by type and code.
	NameDeadLetters = "couponq_dead_letters_total"
	// NameBuildInfo is 1, labelled with version, goversion and signer.
	NameBuildInfo = "couponq_build_info"

	// Fleet-wide, taken from the fleetview.Source at scrape time.

	// NameBacklog is the number of jobs waiting, by type.
	NameBacklog = "couponq_backlog_jobs"
	// NameFlowBacklog is the number of jobs waiting, by mchid, type and priority.
	NameFlowBacklog = "couponq_flow_backlog_jobs"
	// NameFlowInFlight is the number of jobs delivered and not yet
	// acknowledged, by mchid, type and priority.
	NameFlowInFlight = "couponq_flow_in_flight_jobs"
	// NameDLQ is the number of dead letters stored, by type.
	NameDLQ = "couponq_dlq_messages"
	// NameRateLimit is the configured limit, by mchid and type.
	NameRateLimit = "couponq_rate_limit_requests_per_second"
	// NameRateBudget is the current budget after 429 feedback, by mchid and type.
	NameRateBudget = "couponq_rate_budget_requests_per_second"
	// NameRatePaced is the rate actually paced, by mchid and type.
	NameRatePaced = "couponq_rate_paced_requests_per_second"
	// NameRateCuts counts budget cuts applied fleet-wide, by mchid and type.
	NameRateCuts = "couponq_rate_budget_cuts_total"
	// NameLiveWorkers is the number of live workers in the fleet.
	NameLiveWorkers = "couponq_live_workers"
	// NameSnapshotSuccess is 1 when the fleet snapshot for this scrape was
	// taken, 0 when it failed (the fleet metrics are then missing).
	NameSnapshotSuccess = "couponq_snapshot_success"
	// NameReady is 1 while this worker is ready (what /readyz says), else 0.
	NameReady = "couponq_ready"
)

// Label names. Every label value is bounded: see Config.
const (
	LabelType        = "type"
	LabelOutcome     = "outcome"
	LabelCode        = "code"
	LabelEndpoint    = "endpoint"
	LabelStatusClass = "status_class"
	LabelMchID       = "mchid"
	LabelPriority    = "priority"
)
