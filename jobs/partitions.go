package jobs

import (
	"context"
	"time"
)

// PartitionStore makes the history tables' monthly partitions.
type PartitionStore interface {
	MakePartitions(ctx context.Context, now time.Time, ahead int) (int, error)
}

// Partitioner makes the partitions of the coming months of every history
// table (migration 00040) ahead of time, so rows never fall into a default
// partition.
type Partitioner struct {
	Store PartitionStore
	Ahead int              // months after the current one; 3 when zero
	Now   func() time.Time // time.Now when nil
}

// Run makes the missing partitions; Changed is how many it made.
func (p *Partitioner) Run(ctx context.Context) (Outcome, error) {
	now, ahead := time.Now, p.Ahead
	if p.Now != nil {
		now = p.Now
	}
	if ahead == 0 {
		ahead = 3
	}
	n, err := p.Store.MakePartitions(ctx, now(), ahead)
	return Outcome{Changed: n}, err
}
