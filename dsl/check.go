package dsl

// Check runs the semantic checks on a device spec and its class.
// (Placeholder until the checker lands: it accepts everything.)
func Check(s *Spec) Diagnostics { return nil }

// CheckClass runs the semantic checks on a class spec alone.
func CheckClass(f *File) Diagnostics { return nil }
