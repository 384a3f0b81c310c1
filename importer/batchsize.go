package importer

import (
	"sync/atomic"
	"time"
)

// batchSizer sizes a run's batches so that each transaction holds the
// database's writer for about a target time: the next batch has as many
// records as the last commit wrote in that time, at most twice the current
// size (one fast commit does not make a huge batch), between minBatchSize
// and the most. The reader takes sizes while the writer reports commits, so
// the batch read ahead keeps the size of the commit before.
type batchSizer struct {
	size   atomic.Int64
	most   int
	target time.Duration
}

// init sets the limits (DefaultBatchSize and DefaultBatchTime for zero) and
// the first size.
func (z *batchSizer) init(most int, target time.Duration) {
	if most <= 0 {
		most = DefaultBatchSize
	}
	if target <= 0 {
		target = DefaultBatchTime
	}
	z.most, z.target = most, target
	z.size.Store(int64(min(firstBatchSize, most)))
}

// next returns the size of the next batch.
func (z *batchSizer) next() int { return int(z.size.Load()) }

// observe takes the time d that a commit of records took.
func (z *batchSizer) observe(records int, d time.Duration) {
	if records <= 0 {
		return
	}
	grown := 2 * z.size.Load()
	fit := grown
	if d > 0 {
		fit = min(int64(float64(records)*float64(z.target)/float64(d)), grown)
	}
	z.size.Store(max(min(fit, int64(z.most)), int64(min(minBatchSize, z.most))))
}
