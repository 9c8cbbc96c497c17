package driver

// Select is the value of a spec's c ? a : b. Both sides are plain values a
// driver already holds (fields read, request parameters), so computing
// both costs nothing and keeps the generated arithmetic one expression.
func Select(c bool, a, b uint64) uint64 {
	if c {
		return a
	}
	return b
}

// Bit is a spec's truth value used as a number: 1 or 0.
func Bit(c bool) uint64 {
	if c {
		return 1
	}
	return 0
}
