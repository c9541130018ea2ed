package jobs

import (
	"strconv"
	"strings"
)

// replayPrefix starts the third part of a replay's message id.
const replayPrefix = "replay-"

// ReplayMsgID is the Nats-Msg-Id of a job republished from dead letter
// dlqSeq (its sequence in the dead-letter stream), and of that run's result:
// "<type>/<id>/replay-<dlqSeq>". It differs from the first run's
// "<type>/<id>", so JetStream accepts the replay inside the duplicate window,
// while two replays of the same dead letter share it and store one job.
func ReplayMsgID(t Type, id string, dlqSeq uint64) string {
	return MsgID(t, id) + "/" + replayPrefix + strconv.FormatUint(dlqSeq, 10)
}

// ParseMsgID splits a job's or result's message id: "<type>/<id>" gives
// replay 0, "<type>/<id>/replay-<N>" gives replay N (N > 0). ok is false for
// anything else. The type is not checked against the known types.
func ParseMsgID(msgID string) (typ, id string, replay uint64, ok bool) {
	parts := strings.Split(msgID, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return "", "", 0, false
	}
	if len(parts) == 3 {
		n, found := strings.CutPrefix(parts[2], replayPrefix)
		if !found {
			return "", "", 0, false
		}
		v, err := strconv.ParseUint(n, 10, 64)
		if err != nil || v == 0 || strconv.FormatUint(v, 10) != n {
			return "", "", 0, false
		}
		replay = v
	}
	return parts[0], parts[1], replay, true
}
