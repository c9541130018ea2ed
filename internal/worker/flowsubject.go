package worker

import (
	"strconv"
	"strings"

	"github.com/couponq/couponq/jobs"
)

// Internal subjects and stream of flow scheduling (not part of the contract;
// see docs/scheduling.md). A valid job moves from its contract subject
// couponq.jobs.<type> to couponq.flow.<type>.<mchid>.<priority>.<key>, one
// subject per group, in the COUPONQ_FLOWS work queue.
const (
	// FlowsStream holds the jobs sorted into groups, waiting for budget.
	FlowsStream = "COUPONQ_FLOWS"
	// FlowSubjectPrefix starts every group subject.
	FlowSubjectPrefix = "couponq.flow."
	// WakeSubjectPrefix + <type> carries core NATS notices "this group has
	// new work" (the group subject as payload) from intake to every worker.
	WakeSubjectPrefix = "couponq.wake."
	// noKey is the key token of jobs without a fairness key; it cannot be a
	// fairness key's token since '~' is outside the key alphabet.
	noKey = "~"
)

// Flow is one merchant account's jobs of one type: the unit of rate budget
// and of isolation. Jobs of one flow never wait behind another flow's.
type Flow struct {
	Type  jobs.Type
	MchID string
}

// String is "<mchid>/<type>".
func (f Flow) String() string { return f.MchID + "/" + string(f.Type) }

// group is one FIFO inside a flow: the jobs of one priority and fairness key.
type group struct {
	Flow
	Priority int
	Key      string // fairness key; "" for none
}

// subject is the group's subject in the flows stream. A flow's groups have
// the Type and MchID tokens fixed, so the mchid token cannot hold a '.':
// callers pass configured (numeric) merchant ids only.
func (g group) subject() string {
	return FlowSubjectPrefix + string(g.Type) + "." + g.MchID + "." + strconv.Itoa(g.Priority) + "." + keyToken(g.Key)
}

// keyToken encodes a fairness key as one subject token: '.' becomes '!' and
// "" becomes "~"; neither '!' nor '~' is in the key alphabet, so the mapping
// is reversible.
func keyToken(k string) string {
	if k == "" {
		return noKey
	}
	return strings.ReplaceAll(k, ".", "!")
}

func keyFromToken(tok string) string {
	if tok == noKey {
		return ""
	}
	return strings.ReplaceAll(tok, "!", ".")
}

// ParseGroupSubject reads a subject of the flows stream: the flow, the
// priority and the fairness key ("" for none) of the group it belongs to;
// ok is false for any other subject.
func ParseGroupSubject(subject string) (f Flow, priority int, fairnessKey string, ok bool) {
	g, ok := parseGroup(subject)
	return g.Flow, g.Priority, g.Key, ok
}

// parseGroup reads a group subject: couponq.flow.<type...>.<mchid>.<prio>.<key>.
// The type may itself contain dots, so the last three tokens are read first.
func parseGroup(subject string) (group, bool) {
	rest, ok := strings.CutPrefix(subject, FlowSubjectPrefix)
	if !ok {
		return group{}, false
	}
	toks := strings.Split(rest, ".")
	if len(toks) < 4 {
		return group{}, false
	}
	n := len(toks)
	prio, err := strconv.Atoi(toks[n-2])
	if err != nil || prio < jobs.MostUrgent || prio > jobs.LeastUrgent {
		return group{}, false
	}
	t := jobs.Type(strings.Join(toks[:n-3], "."))
	return group{Flow: Flow{Type: t, MchID: toks[n-3]}, Priority: prio, Key: keyFromToken(toks[n-1])}, true
}
