// Package mix spreads the bits of a 64-bit value, for hash tables that take
// their slot from the low bits of a hash built from small numbers.
package mix

// Bits is splitmix64's finalizer: every bit of x affects every bit of the
// result, and distinct inputs give distinct outputs.
func Bits(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
