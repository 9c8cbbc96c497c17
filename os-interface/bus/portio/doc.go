// Package portio is a bus.Bus over x86 port I/O, for a driver running as a
// Linux process (a guest's /init, a test on a PC).
//
// Linux grants port access per OS thread: ioperm(2) changes the I/O
// permission bitmap of the calling thread only, and a goroutine may move
// between threads at any call. A Bus is therefore only usable on a goroutine
// locked to its thread (runtime.LockOSThread) that was granted the ports on
// that thread. Run does both: it starts a goroutine, locks it, grants the
// ranges and calls f there. A driver and every bus it uses must stay on that
// goroutine; an access from any other thread is a SIGSEGV (general
// protection fault), not an error.
//
// The accesses are single IN/OUT instructions (asm_amd64.s) of 8, 16 or 32
// bits; streams use REP INS/OUTS on one port, since on the port bus a data
// port is a FIFO (every unit goes through the same port number). Nothing
// here needs cgo: the package builds with CGO_ENABLED=0.
//
// The package is empty on other systems and architectures.
package portio
