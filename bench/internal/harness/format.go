package harness

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// MS formats d in milliseconds with one decimal, or n/a for a negative d
// (Percentile's no data).
func MS(d time.Duration) string {
	if d < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// Pct formats the fraction f as a percentage with one decimal.
func Pct(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

// Share formats n and, when of is known, n as a percentage of of.
func Share(n, of int64) string {
	if n == 0 {
		return "0"
	}
	if of == 0 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%d (%.2f%%)", n, 100*float64(n)/float64(of))
}

// Percentile returns the nearest-rank p-th percentile, or -1 without data.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return -1
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	k := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(k, 0), len(s)-1)]
}
