package mix

import "testing"

// TestBitsSpreadsSmallNumbers: consecutive small inputs, as state and
// belief numbers are, land in distinct slots of a small table.
func TestBitsSpreadsSmallNumbers(t *testing.T) {
	const slots = 1 << 12
	used := map[uint64]bool{}
	for x := uint64(0); x < 1024; x++ {
		used[Bits(x)&(slots-1)] = true
	}
	if len(used) < 850 {
		t.Fatalf("1024 consecutive inputs fill only %d of %d slots", len(used), slots)
	}
	if Bits(1) == Bits(2) {
		t.Fatal("distinct inputs, one output")
	}
}
