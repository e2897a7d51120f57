// Package stats holds the order statistics the benchmark packages report.
package stats

import (
	"slices"
	"time"
)

// Quantile is the q-quantile of ds by nearest rank (0 for none); ds is not
// reordered.
func Quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}
