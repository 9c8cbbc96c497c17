package block

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type recorder struct {
	Device
	max   int
	calls [][2]uint64 // lba, sectors
}

func (r *recorder) MaxSectors() int { return r.max }
func (r *recorder) WriteSectors(_ context.Context, lba uint64, buf []byte) error {
	r.calls = append(r.calls, [2]uint64{lba, uint64(len(buf) / SectorSize)})
	return nil
}

func TestSplitCutsAtMaxSectors(t *testing.T) {
	r := &recorder{max: 4}
	require.NoError(t, Split(r).WriteSectors(context.Background(), 10, make([]byte, 9*SectorSize)))
	assert.Equal(t, [][2]uint64{{10, 4}, {14, 4}, {18, 1}}, r.calls)
	assert.Error(t, Split(r).WriteSectors(context.Background(), 0, make([]byte, 100)))
}
