package metrics

// Label values used for anything outside the configured or known sets.
const (
	// Other stands for an unconfigured job type or merchant, an unknown
	// outcome, status class or priority.
	Other = "other"
	// OtherCode stands for an error code outside KnownCodes and Config.Codes.
	OtherCode = "OTHER"
)

// The status classes of an API call.
const (
	Class2xx       = "2xx"
	Class4xx       = "4xx"
	Class429       = "429"
	Class5xx       = "5xx"
	ClassTransport = "transport"
)

// classes are the status classes, in the order of typeMetrics.api.
var classes = [...]string{Class2xx, Class4xx, Class429, Class5xx, ClassTransport}

// StatusClass returns the status_class of an HTTP status: 0 (no answer) is
// ClassTransport, 429 is Class429, otherwise the hundreds (Other for 1xx/3xx).
func StatusClass(status int) string {
	switch {
	case status == 0:
		return ClassTransport
	case status == 429:
		return Class429
	case status >= 200 && status < 300:
		return Class2xx
	case status >= 400 && status < 500:
		return Class4xx
	case status >= 500 && status < 600:
		return Class5xx
	}
	return Other
}

// classIndex returns the index of class in classes, or -1.
func classIndex(class string) int {
	for i, c := range classes {
		if c == class {
			return i
		}
	}
	return -1
}

// labeler maps caller-supplied values onto bounded label values.
type labeler struct {
	types     map[string]bool
	merchants map[string]bool
	codes     map[string]bool
}

func newLabeler(types, merchants, codes []string) *labeler {
	l := &labeler{types: set(types), merchants: set(merchants), codes: set(KnownCodes)}
	for _, c := range codes {
		l.codes[c] = true
	}
	return l
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// typ returns t when it is a configured job type, else Other.
func (l *labeler) typ(t string) string {
	if l.types[t] {
		return t
	}
	return Other
}

// mchid returns id when it is a configured merchant, else Other.
func (l *labeler) mchid(id string) string {
	if l.merchants[id] {
		return id
	}
	return Other
}

// code returns c when it is a known code or HTTP_<3 digits>, else OtherCode.
func (l *labeler) code(c string) string {
	if l.codes[c] || isHTTPCode(c) {
		return c
	}
	return OtherCode
}

// isHTTPCode reports whether c is HTTP_ followed by a status 100-599.
func isHTTPCode(c string) bool {
	if len(c) != 8 || c[:5] != "HTTP_" || c[5] < '1' || c[5] > '5' {
		return false
	}
	return c[6] >= '0' && c[6] <= '9' && c[7] >= '0' && c[7] <= '9'
}

// priorities are the priority label values, index = priority.
var priorities = [...]string{Other, "1", "2", "3", "4", "5"}

// priority returns "1".."5", else Other.
func priority(p int) string {
	if p >= 1 && p <= 5 {
		return priorities[p]
	}
	return Other
}

// outcome returns "succeeded" or "failed", else Other.
func outcome(status string) string {
	if status == outcomeSucceeded || status == outcomeFailed {
		return status
	}
	return Other
}

// The outcomes, as jobs.Status spells them.
const (
	outcomeSucceeded = "succeeded"
	outcomeFailed    = "failed"
)
