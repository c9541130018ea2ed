package fleet

import (
	"fmt"
	"math"
	"sort"
	"time"
)

func ms(d time.Duration) string {
	if d < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

func share(n, of int64) string {
	if n == 0 {
		return "0"
	}
	if of == 0 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%d (%.2f%%)", n, 100*float64(n)/float64(of))
}

// percentile returns the nearest-rank p-th percentile, or -1 without data.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return -1
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	k := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(k, 0), len(s)-1)]
}
