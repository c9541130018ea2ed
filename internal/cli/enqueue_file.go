package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/couponq/couponq/internal/admin"
	"github.com/couponq/couponq/internal/config"
	"github.com/couponq/couponq/internal/jobfile"
	"github.com/couponq/couponq/jobs"
)

// campaignPriority is the default priority of jobs from a file: bulk work.
const campaignPriority = 5

// maxDuplicatesNamed bounds the "duplicate ..." lines of one run.
const maxDuplicatesNamed = 10

// manifestEvery is how often a run saves its progress to the manifest.
const manifestEvery = time.Second

// runEnqueueFile publishes the jobs of a JSONL or CSV file as a campaign.
func runEnqueueFile(ctx context.Context, cfg *config.Config, o *enqueueOptions, stdin io.Reader, stdout, stderr io.Writer) int {
	src := fileSource{path: o.file, stdin: stdin}
	format, err := jobfile.FormatFor(o.file, o.format)
	if err != nil {
		fmt.Fprintln(stderr, "--format:", err)
		return exitUsage
	}
	if o.strict && src.isStdin() {
		fmt.Fprintln(stderr, "--strict reads the file twice: give a file, not stdin")
		return exitUsage
	}
	campaign := o.campaign
	if campaign == "" {
		if campaign, err = src.defaultCampaign(); err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
	}
	def := defaultMchID(cfg)
	// Before anything is published: an exact count (--dry-run, --strict,
	// which validate every line) or a quick sample for the estimate.
	if o.dryRun || o.strict {
		p := newCampaignPass(o, campaign, def, stderr)
		if code := p.validateAll(src, format); code != exitOK {
			return code
		}
		printEstimate(stderr, p.flows, false, cfg)
		fmt.Fprintf(stderr, "campaign %s: %s lines, %s valid jobs, %s bad lines\n", campaign, thousands(p.lines), thousands(p.good), thousands(p.bad))
		if p.good == 0 && p.bad == 0 {
			fmt.Fprintln(stderr, "the file has no jobs")
			return exitUsage
		}
		if p.bad > 0 {
			if o.strict && !o.dryRun {
				fmt.Fprintln(stderr, "nothing published: --strict and some lines are bad")
			}
			return exitBadLines
		}
		if o.dryRun {
			fmt.Fprintln(stderr, "dry run: nothing published")
			return exitOK
		}
	}
	var total int64
	if !src.isStdin() {
		if total, err = countLines(src.path); err != nil {
			fmt.Fprintln(stderr, "--file:", err)
			return exitUsage
		}
		if !o.strict {
			if r, closer, err := src.reader(format, o.typ); err == nil {
				printEstimate(stderr, sampleFlows(r, total, def), true, cfg)
				_ = closer.Close()
			}
		}
	}
	nc, js, ok := connectTool(cfg, "couponq-enqueue", stderr)
	if !ok {
		return exitFailed
	}
	defer nc.Close()
	run := &campaignRun{pass: newCampaignPass(o, campaign, def, stderr), o: o, cfg: cfg}
	return run.publish(ctx, js, src, format, total, stdout, stderr)
}

// fileSource is --file: a path, or "-" for stdin.
type fileSource struct {
	path  string
	stdin io.Reader
}

func (s fileSource) isStdin() bool { return s.path == "-" }

// reader opens the file (again) as a job reader.
func (s fileSource) reader(format jobfile.Format, typ string) (jobfile.Reader, io.Closer, error) {
	var rc io.ReadCloser = io.NopCloser(s.stdin)
	if !s.isStdin() {
		f, err := os.Open(s.path)
		if err != nil {
			return nil, nil, fmt.Errorf("--file: %w", err)
		}
		rc = f
	}
	var r jobfile.Reader
	var err error
	if format == jobfile.CSV {
		r, err = jobfile.NewCSV(rc, jobs.Type(typ))
	} else {
		r = jobfile.NewJSONL(rc, jobs.Type(typ))
	}
	if err != nil {
		_ = rc.Close()
		return nil, nil, fmt.Errorf("--file %s: %w", s.path, err)
	}
	return r, rc, nil
}

var campaignUnsafe = regexp.MustCompile(`[^0-9A-Za-z_-]+`)

// defaultCampaign derives the campaign id from the file's name and a hash of
// its size and first 64 KiB, so that a re-run of the same file continues the
// same campaign. Stdin gets a time-stamped id.
func (s fileSource) defaultCampaign() (string, error) {
	if s.isStdin() {
		return "stdin-" + time.Now().UTC().Format("20060102-150405"), nil
	}
	f, err := os.Open(s.path)
	if err != nil {
		return "", fmt.Errorf("--file: %w", err)
	}
	defer func() { _ = f.Close() }()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("--file: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%d\n", st.Size())
	if _, err := io.CopyN(h, f, 64*1024); err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("--file: %w", err)
	}
	base := strings.TrimSuffix(filepath.Base(s.path), filepath.Ext(s.path))
	base = strings.Trim(campaignUnsafe.ReplaceAllString(base, "-"), "-")
	if len(base) > 40 {
		base = base[:40]
	}
	if base == "" {
		base = "campaign"
	}
	return base + "-" + hex.EncodeToString(h.Sum(nil))[:8], nil
}

// campaignPass reads a job file once: it reports every bad line, gives the
// good ones the campaign's defaults and prepares them as the worker will
// check them.
type campaignPass struct {
	o         *enqueueOptions
	campaign  string
	defMchID  string
	stderr    io.Writer
	priority  int
	fairness  string
	lines     int64
	good, bad int64
	flows     map[flowKey]int64
	types     []jobs.Type
}

func newCampaignPass(o *enqueueOptions, campaign, defMchID string, stderr io.Writer) *campaignPass {
	p := &campaignPass{o: o, campaign: campaign, defMchID: defMchID, stderr: stderr,
		priority: campaignPriority, fairness: campaign, flows: map[flowKey]int64{}}
	if o.priority != 0 {
		p.priority = o.priority
	}
	if o.fairnessKey != "" {
		p.fairness = o.fairnessKey
	}
	return p
}

// outcome counts one record of the file in line order and reports it when
// it is bad: rec as read, and prep or err from preparing it (neither when
// rec.Err is set). It returns the job to publish and true for a good line.
func (p *campaignPass) outcome(rec jobfile.Record, prep *jobs.Prepared, err error) (*jobs.Prepared, bool) {
	p.lines = max(p.lines, int64(rec.Line))
	if rec.Err != nil {
		p.badLine(rec.Err)
		return nil, false
	}
	if err != nil {
		p.badLine(&jobfile.LineError{Line: rec.Line, Reason: lineReason(err), Err: err})
		return nil, false
	}
	p.good++
	k := flowOf(rec.Job, p.defMchID)
	if p.flows[k] == 0 && !containsType(p.types, k.typ) {
		p.types = append(p.types, k.typ)
	}
	p.flows[k]++
	return prep, true
}

func (p *campaignPass) badLine(err error) {
	p.bad++
	fmt.Fprintln(p.stderr, err)
}

// prepare applies the campaign defaults and validates the job. It only
// reads p's settings: the pipeline's workers call it concurrently.
func (p *campaignPass) prepare(j jobs.TypedJob) (*jobs.Prepared, error) {
	if j.Priority == 0 {
		j.Priority = p.priority
	}
	if j.FairnessKey == "" {
		j.FairnessKey = p.fairness
	}
	meta, err := withCampaign(j.Meta, p.campaign)
	if err != nil {
		return nil, err
	}
	j.Meta = meta
	if err := checkScheduling(j.Job); err != nil {
		return nil, err
	}
	return jobs.Prepare(j.Type, j.Job, eventTimeOr(p.o))
}

// validateAll reads the whole file without publishing.
func (p *campaignPass) validateAll(src fileSource, format jobfile.Format) int {
	r, closer, err := src.reader(format, p.o.typ)
	if err != nil {
		fmt.Fprintln(p.stderr, err)
		return exitUsage
	}
	defer func() { _ = closer.Close() }()
	pl := p.pipeline(r)
	defer pl.close()
	for {
		if _, err := pl.next(); err != nil {
			if errors.Is(err, io.EOF) {
				return exitOK
			}
			fmt.Fprintf(p.stderr, "--file %s: %v\n", src.path, err)
			return exitUsage
		}
	}
}

// withCampaign merges {"campaign": id} into a job's meta, which must be a
// JSON object or absent.
func withCampaign(meta json.RawMessage, id string) (json.RawMessage, error) {
	if out, ok := withCampaignFast(meta, id); ok {
		return out, nil
	}
	m := map[string]json.RawMessage{}
	if len(meta) > 0 && string(meta) != "null" {
		if err := json.Unmarshal(meta, &m); err != nil || m == nil {
			return nil, errors.New("meta: must be a JSON object (it carries the campaign id)")
		}
	}
	idJSON, err := json.Marshal(id)
	if err != nil {
		return nil, fmt.Errorf("encode campaign id: %w", err)
	}
	m[jobs.MetaCampaign] = idJSON
	return json.Marshal(m)
}

// lineReason is an error's text without the jobs package's "invalid job: ".
func lineReason(err error) string {
	var parts []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var ij *jobs.InvalidJobError
		if errors.As(e, &ij) && ij.Field != "" {
			parts = append(parts, ij.Field+": "+ij.Reason)
			return
		}
		if errors.As(e, &ij) {
			parts = append(parts, ij.Reason)
			return
		}
		parts = append(parts, e.Error())
	}
	walk(err)
	return strings.Join(parts, "; ")
}

func containsType(ts []jobs.Type, t jobs.Type) bool {
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// saveManifest records the run's progress; a failure is reported once and
// does not stop publishing.
func (c *campaignRun) saveManifest(ctx context.Context, state string) {
	if c.manifest == nil {
		return
	}
	err := c.manifest.Save(ctx, admin.CampaignProgress{
		New: c.fresh, Lines: c.pass.lines, Good: c.pass.good, Bad: c.pass.bad, Types: c.pass.types, State: state,
	})
	if err != nil && !c.manifestWarned {
		c.manifestWarned = true
		fmt.Fprintf(c.pass.stderr, "warning: could not save the campaign manifest (watch may not know the total): %v\n", err)
	}
}
