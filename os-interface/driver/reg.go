package driver

import (
	"math/bits"

	"github.com/drvsynth/drvsynth/os-interface/bus"
)

// Value is the Go type of one register's contents. Generated drivers
// declare one named type per register (type LCR uint8), and its field
// masks and named field values as constants of that type, so a field of
// one register cannot be written into another.
type Value interface{ ~uint8 | ~uint16 | ~uint32 }

// Reg is the offset of a register whose contents have type R.
type Reg[R Value] uint32

// Read reads register r.
func Read[R Value](b bus.Bus, r Reg[R]) R {
	switch uint64(^R(0)) {
	case 0xff:
		return R(b.Read8(uint32(r)))
	case 0xffff:
		return R(b.Read16(uint32(r)))
	}
	return R(b.Read32(uint32(r)))
}

// Write writes v to register r.
func Write[R Value](b bus.Bus, r Reg[R], v R) {
	switch uint64(^R(0)) {
	case 0xff:
		b.Write8(uint32(r), uint8(v))
	case 0xffff:
		b.Write16(uint32(r), uint16(v))
	default:
		b.Write32(uint32(r), uint32(v))
	}
}

// Modify reads r, replaces the bits of mask with those of v and writes the
// result back. Bits in w1c (write 1 to clear) are written as 0 unless mask
// covers them, so writing back what was read clears no pending flag.
func Modify[R Value](b bus.Bus, r Reg[R], mask, v, w1c R) R {
	old := Read(b, r)
	nv := old&^mask&^w1c | v&mask
	Write(b, r, nv)
	return nv
}

// Get returns the field of v under mask, shifted down to bit 0.
func Get[R Value](v, mask R) uint64 {
	return uint64(v&mask) >> bits.TrailingZeros64(uint64(mask))
}

// Put places x in the field under mask. Bits of x beyond the field are
// dropped; generated drivers check that a value fits before they put it.
func Put[R Value](mask R, x uint64) R {
	return R(x<<bits.TrailingZeros64(uint64(mask))) & mask
}
