package solve

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStateTableFindsEveryState: states with equal hashes, or hashes equal
// in one half, are all found, through growth; a hash never added is not.
func TestStateTableFindsEveryState(t *testing.T) {
	var tab stateTable
	hashOf := func(i int) uint64 {
		switch i % 3 {
		case 0:
			return uint64(i/3) * 0x9e3779b97f4a7c15
		case 1:
			return 7 // the same hash for a third of them
		default:
			return uint64(i)<<32 | 7 // the same low half
		}
	}
	const n = 5000
	for i := range n {
		require.Equal(t, int32(-1), tab.find(hashOf(i), func(id int32) bool { return int(id) == i }))
		tab.add(hashOf(i))
	}
	for i := range n {
		require.Equal(t, int32(i), tab.find(hashOf(i), func(id int32) bool { return int(id) == i }), "state %d", i)
	}
	// find leaves the full comparison to eq, as the closer's does (it
	// compares the states' hashes first).
	require.Equal(t, int32(-1), tab.find(12345, func(id int32) bool { return hashOf(int(id)) == 12345 }))
}
