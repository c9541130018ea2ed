package admin

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/couponq/couponq/jobs"
)

// Replayed is what a replay did.
type Replayed struct {
	// MsgID is the replay's message id, jobs.ReplayMsgID(type, id, seq).
	MsgID string
	// JobSeq is the replayed job's sequence in the jobs stream.
	JobSeq uint64
	// Duplicate: the same dead letter was replayed already (by a concurrent
	// or earlier replay within the duplicate window); nothing new was queued.
	Duplicate bool
	// Deleted: the dead letter was removed from the dead-letter stream.
	Deleted bool
}

// ReplayDeadLetter republishes d's original bytes to couponq.jobs.<type>
// with message id jobs.ReplayMsgID(type, id, d.Seq) and header
// jobs.HeaderReplayOf, then deletes the dead letter unless keep. The job
// keeps its id and request number, so the API can never apply it twice; two
// replays of one dead letter share the message id and queue one job.
func ReplayDeadLetter(ctx context.Context, js jetstream.JetStream, d *DeadLetter, keep bool) (*Replayed, error) {
	t, err := jobs.ParseType(d.Type)
	if err != nil {
		return nil, fmt.Errorf("dead letter %d: cannot replay: %w", d.Seq, err)
	}
	if d.ID == "" {
		return nil, fmt.Errorf("dead letter %d: cannot replay: no job id in its message id %q", d.Seq, d.MsgID)
	}
	if len(d.Body) == 0 {
		return nil, fmt.Errorf("dead letter %d: cannot replay: its job bytes were not read", d.Seq)
	}
	msgID := jobs.ReplayMsgID(t, d.ID, d.Seq)
	msg := &nats.Msg{Subject: jobs.JobSubject(t), Data: d.Body, Header: nats.Header{}}
	msg.Header.Set(jobs.HeaderReplayOf, strconv.FormatUint(d.Seq, 10))
	ack, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(msgID), jetstream.WithExpectStream(jobs.JobsStream))
	if err != nil {
		return nil, fmt.Errorf("replay dead letter %d as %s: %w", d.Seq, msgID, err)
	}
	out := &Replayed{MsgID: msgID, JobSeq: ack.Sequence, Duplicate: ack.Duplicate}
	if keep {
		return out, nil
	}
	if out.Deleted, err = DeleteDeadLetter(ctx, js, d.Seq); err != nil {
		return out, fmt.Errorf("replayed as %s, but: %w", msgID, err)
	}
	return out, nil
}

// DeleteDeadLetter removes dead letter seq. It reports false (and no error)
// when it is already gone.
func DeleteDeadLetter(ctx context.Context, js jetstream.JetStream, seq uint64) (bool, error) {
	s, err := js.Stream(ctx, jobs.DLQStream)
	if err != nil {
		return false, fmt.Errorf("delete dead letter %d: %w", seq, err)
	}
	if err := s.DeleteMsg(ctx, seq); err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) || isNoMessage(err) {
			return false, nil
		}
		return false, fmt.Errorf("delete dead letter %d: %w", seq, err)
	}
	return true, nil
}

// isNoMessage reports the server's "no message found" for a deleted message.
func isNoMessage(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeMessageNotFound || apiErr.Code == 404)
}

// GetDeadLetter reads dead letter seq; nil (and no error) when there is none.
func GetDeadLetter(ctx context.Context, js jetstream.JetStream, seq uint64) (*DeadLetter, error) {
	var out *DeadLetter
	err := ScanDeadLetters(ctx, js, DeadLetterFilter{Seqs: []uint64{seq}}, false, func(d *DeadLetter) error {
		out = d
		return ErrStop
	})
	return out, err
}
