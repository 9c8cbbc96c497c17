package driver

import "testing"

func TestSelectAndBit(t *testing.T) {
	if got := Select(true, 7, 9); got != 7 {
		t.Errorf("Select(true, 7, 9) = %d, want 7", got)
	}
	if got := Select(false, 7, 9); got != 9 {
		t.Errorf("Select(false, 7, 9) = %d, want 9", got)
	}
	if Bit(true) != 1 || Bit(false) != 0 {
		t.Errorf("Bit(true), Bit(false) = %d, %d, want 1, 0", Bit(true), Bit(false))
	}
}
