package worker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/couponq/couponq/clock"
	"github.com/couponq/couponq/internal/metrics"
	"github.com/couponq/couponq/jobs"
	"github.com/couponq/couponq/wechat"
	"github.com/couponq/couponq/wechat/marketing"
)

// handleFlowJob processes one job fetched from its group with a reserved
// slot, and settles it. The slot pays for the first HTTP attempt. A panic
// is contained to this job (recover.go).
func (w *Worker) handleFlowJob(ctx, hard context.Context, f *flowRunner, subject string, msg jetstream.Msg, slot Slot) {
	d := w.describe(f.flow.Type, msg)
	d.mchid = f.flow.MchID
	w.countFree(hard, d)
	if ctx.Err() != nil {
		slot.Release()
		w.safeSettle(hard, msg, d, outcome{act: actHandBack, free: true, why: "worker shutting down"})
		return
	}
	m, typ := w.cfg.Metrics, string(f.flow.Type)
	m.InFlightInc(typ)
	defer m.InFlightDec(typ)
	if d.attempt > 1 {
		m.Redelivered(typ)
	}
	stop := keepAlive(w.cfg.Clock, msg, w.cfg.AckWait/3)
	o := w.safeProcess(hard, d, f.flow, slot)
	stop()
	if o.act == actRetry || o.act == actHandBack && o.delay > 0 {
		w.disp.notifyAfter(subject, o.delay)
	}
	w.safeSettle(hard, msg, d, o)
}

// process decides what happens to one job of flow f. It calls the API only
// for a valid job of a known merchant, paying the first attempt with slot,
// and retries 429s in place (waiting for budget is not an attempt). A
// delivery that sent nothing but 429s is handed back as free when it ends
// without an answer (shutdown, no budget, cut off from NATS).
func (w *Worker) process(ctx context.Context, d *delivery, f Flow, slot Slot) outcome {
	p := &jobPacer{w: w, budget: w.cfg.Budget, flow: f, first: slot, metrics: w.cfg.Metrics}
	defer p.release()
	if d.attempt > w.cfg.MaxAttempts {
		return w.fail(d, nil, jobs.CodeRetriesExhausted, fmt.Sprintf(
			"delivered %d times without being settled (more than retry.max_attempts=%d): a worker crashed or timed out on it each time",
			d.attempt, w.cfg.MaxAttempts), true)
	}
	job, o := w.decode(d)
	if o != nil {
		return *o
	}
	w.cfg.Metrics.Attempt(string(d.typ))
	limited, throttled := 0, 0
	for {
		resp, err := w.api.DoPaced(ctx, d.mchid, job.Req, p)
		if resp != nil && resp.StatusCode != http.StatusTooManyRequests {
			accepted(ctx, w.cfg.Budget, f)
		}
		if err == nil {
			return w.succeed(d, resp)
		}
		free := p.sent == throttled // nothing but 429s was sent
		if ctx.Err() != nil {
			return outcome{act: actHandBack, free: free, why: "shutdown deadline cancelled the call: " + err.Error()}
		}
		switch {
		case errors.Is(err, errStaleDelivery):
			return outcome{act: actAbandon, free: free, why: err.Error()}
		case errors.Is(err, ErrNoBudget):
			if w.serverNow().Sub(d.enqueuedAt) > w.cfg.MaxElapsed {
				return w.fail(d, resp, jobs.CodeRetriesExhausted, "no rate-limit budget until retry.max_elapsed passed: "+err.Error(), true)
			}
			if free {
				return outcome{act: actHandBack, free: true, delay: w.cfg.MaxBackoff, why: err.Error()}
			}
			return outcome{act: actRetry, delay: w.cfg.MaxBackoff, why: err.Error()}
		case errors.Is(err, wechat.ErrUnknownMerchant):
			return w.fail(d, resp, jobs.CodeInvalidJob, err.Error(), false)
		case wechat.Classify(err) == wechat.ClassRateLimited:
			w.cfg.Metrics.Throttled(f.MchID, string(f.Type))
			throttled++
			if w.cfg.Budget != nil {
				w.cfg.Budget.Throttled(ctx, f)
			}
			if w.serverNow().Sub(d.enqueuedAt) > w.cfg.MaxElapsed {
				return w.fail(d, resp, jobs.CodeRetriesExhausted, "rate limited until retry.max_elapsed passed; last error: "+describeErr(err), true)
			}
			// The limiter logs the fleet's reaction (cut, storm); one line
			// per 429 would flood the log during a storm.
			w.log.Debug("rate limited by the API; waiting for budget and retrying", d.logFields(zap.String("request_id", requestID(resp, err)))...)
			if w.cfg.Budget == nil {
				// No fleet limiter to pace the retry: back off in place.
				limited++
				if !w.sleep(ctx, backoffDelay(limited, 50*time.Millisecond, 2*time.Second)) {
					return outcome{act: actHandBack, free: true, why: "shutdown during a rate-limit wait"}
				}
			}
			continue
		case wechat.Classify(err) == wechat.ClassRetryable:
			return w.retryOrExhaust(d, resp, err)
		default:
			return w.fail(d, resp, wechat.ErrorCode(err), errorMessage(err), false)
		}
	}
}

// retryOrExhaust schedules another delivery after a backoff, or gives up when
// the attempts or the time budget are spent.
func (w *Worker) retryOrExhaust(d *delivery, resp *wechat.Response, err error) outcome {
	delay := backoffDelay(d.attempt, w.cfg.InitialBackoff, w.cfg.MaxBackoff)
	age := w.serverNow().Sub(d.enqueuedAt)
	if d.attempt < w.cfg.MaxAttempts && age+delay <= w.cfg.MaxElapsed {
		return outcome{act: actRetry, delay: delay, why: describeErr(err)}
	}
	code := jobs.CodeRetriesExhausted
	var uv *wechat.UnverifiedError
	if errors.As(err, &uv) {
		code = jobs.CodeResponseUnverified
	}
	msg := fmt.Sprintf("gave up after %d attempts over %s; last error: %s", d.attempt, age.Round(time.Millisecond), describeErr(err))
	return w.fail(d, resp, code, msg, true)
}

func (w *Worker) checkMerchant(mchid string) error {
	if mchid == "" {
		if w.defMchID == "" {
			return fmt.Errorf("mchid is required: %d merchant accounts are configured (%s)", len(w.merchants), w.merchantList())
		}
		return nil
	}
	if !w.merchants[mchid] {
		return fmt.Errorf("mchid %q is not a configured merchant account (configured: %s)", mchid, w.merchantList())
	}
	return nil
}

func (w *Worker) merchantList() string {
	l := make([]string, 0, len(w.merchants))
	for m := range w.merchants {
		l = append(l, m)
	}
	sort.Strings(l)
	return strings.Join(l, ", ")
}

// succeed builds the success result.
func (w *Worker) succeed(d *delivery, resp *wechat.Response) outcome {
	r := w.newResult(d, jobs.StatusSucceeded, resp)
	return outcome{act: actFinish, result: r}
}

// fail builds a failed result; every failure is also dead-lettered.
func (w *Worker) fail(d *delivery, resp *wechat.Response, code, message string, retryable bool) outcome {
	r := w.newResult(d, jobs.StatusFailed, resp)
	r.Error = &jobs.ResultError{Code: code, Message: message, Retryable: retryable}
	return outcome{act: actFinish, result: r, dead: true}
}

func (w *Worker) newResult(d *delivery, s jobs.Status, resp *wechat.Response) *jobs.Result {
	r := &jobs.Result{
		ID:         d.id,
		Type:       d.typ,
		MchID:      d.mchid,
		Status:     s,
		Attempts:   d.attempt,
		Replay:     d.replay,
		Meta:       d.meta,
		EnqueuedAt: d.enqueuedAt.UTC(),
		FinishedAt: w.serverNow().UTC(),
		Worker:     w.cfg.ID,
	}
	if resp != nil {
		r.HTTPStatus = resp.StatusCode
		r.RequestID = resp.RequestID
		if len(resp.Body) > 0 {
			r.Response = resp.Body
		}
	}
	return r
}

// errorMessage is the text of an API error without the Go wrapping noise.
func errorMessage(err error) string {
	var ae *wechat.APIError
	if errors.As(err, &ae) {
		if ae.Message != "" {
			return ae.Message
		}
	}
	return err.Error()
}

// describeErr names the HTTP status and API code with the message, for
// errors reported under another code (RETRIES_EXHAUSTED) and for logs.
func describeErr(err error) string {
	var ae *wechat.APIError
	if errors.As(err, &ae) {
		return fmt.Sprintf("HTTP %d %s: %s", ae.StatusCode, ae.Code, ae.Message)
	}
	return err.Error()
}

func requestID(resp *wechat.Response, err error) string {
	if resp != nil && resp.RequestID != "" {
		return resp.RequestID
	}
	var ae *wechat.APIError
	if errors.As(err, &ae) {
		return ae.RequestID
	}
	return ""
}

// sleep waits d on the worker's clock or until ctx ends; it reports
// whether the full wait passed.
func (w *Worker) sleep(ctx context.Context, d time.Duration) bool {
	return clock.Sleep(w.cfg.Clock, d, ctx.Done())
}

// jobPacer paces one job's HTTP attempts: the slot its flow runner reserved
// pays for the first, each further attempt (failover, 429 retry) reserves
// its own. Before each attempt it checks that the worker can store the
// result (connected to NATS); sent counts the attempts it let through.
type jobPacer struct {
	w       *Worker
	budget  Budget
	flow    Flow
	first   Slot
	sent    int
	metrics *metrics.Metrics
}

// Wait implements wechat.Pacer. A slot found too late to send with safely
// (ErrSlotMissed: a starved CPU overran it) is replaced by a new one;
// nothing was sent, so it is not an attempt.
func (p *jobPacer) Wait(ctx context.Context, _ string, _ marketing.Operation) error {
	start := p.w.cfg.Clock.Now()
	s := p.first
	p.first = nil
	for {
		if s == nil {
			var err error
			if s, err = reserve(ctx, p.budget, p.flow); err != nil {
				return err
			}
		}
		err := s.Wait(ctx)
		if errors.Is(err, ErrSlotMissed) {
			p.w.log.Debug("rate slot missed (too late to send safely); reserving another",
				zap.Stringer("flow", p.flow), zap.Error(err))
			s = nil
			continue
		}
		p.metrics.BudgetWait(string(p.flow.Type), p.w.cfg.Clock.Now().Sub(start).Seconds())
		if err != nil {
			return err
		}
		break
	}
	if err := p.w.awaitConnected(ctx); err != nil {
		return err
	}
	p.sent++
	return nil
}

// release gives back a first slot that no attempt used (nothing was sent).
func (p *jobPacer) release() {
	if p.first != nil {
		p.first.Release()
		p.first = nil
	}
}
