package dsl

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// faultClass is a class whose Recv may report two faults about an element.
const faultClass = `class tclass {
	event rx(b: data<8>)
	predicate ready
	method Init() { ensures ready }
	method Recv(out buf: []data<8>) {
		for b in buf {
			ensures rx(b)
			fault overrun "bytes were lost before this one"
			fault parity
		}
	}
}
`

// faultDevice has a status register with error bits and binds body.
func faultDevice(bind string) string {
	return `device d implements tclass {
	bus port width 8
	register LSR @ 0 : ro {
		field DR [0]
		field OE [1]
		field PE [2]
		field ERR [4:3]
	}
	register CTL @ 1 : wo { field GO [0] }
	bind tclass {
		ready = true
` + bind + `
	}
}
`
}

func TestCheckFaultBindings(t *testing.T) {
	cases := []struct {
		name, bind string
		msgs       []string
	}{
		{"one-bit fields", "overrun = LSR.OE\nparity = LSR.PE", nil},
		{"optional", "overrun = LSR.OE", nil},
		{"compared with 1", "overrun = LSR.OE == 1", nil},
		{"no such fault", "overrun = LSR.OE\n$framing = LSR.OE", []string{"class tclass has no predicate or fault framing"}},
		{"no such register", "overrun = $LSRX.OE", []string{"fault overrun: LSRX is not a register of the device"}},
		{"no such field", "overrun = LSR.$OEX", []string{"fault overrun: register LSR has no field OEX"}},
		{"write-only register", "overrun = $CTL.GO", []string{"fault overrun: register CTL is write-only"}},
		{"wider field", "parity = $LSR.ERR", []string{"fault parity: LSR.ERR has more than one bit"}},
		{"not a field", "overrun = $true", []string{"the binding of fault overrun must name the one-bit field"}},
		{"a condition", "overrun = $LSR.OE && LSR.DR", []string{"the binding of fault overrun must name the one-bit field"}},
		{"compared with 0", "overrun = $LSR.OE == 0", []string{"the binding of fault overrun must name the one-bit field"}},
		{"parameters", "overrun($x) = LSR.OE", []string{"fault overrun has no parameters"}},
		{"duplicate", "overrun = LSR.OE\n$overrun = LSR.OE", []string{"duplicate binding of predicate overrun"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds, marks := checkDev(t, faultDevice(tc.bind), faultClass)
			wantAt(t, ds, marks, tc.msgs...)
		})
	}
}

func TestCheckClassFaults(t *testing.T) {
	dev := testDevice("")
	cases := []struct {
		name, cls string
		msgs      []string
	}{
		{"outside the for", `class tclass {
	type Mode = enum { Slow, Fast }
	event tx(b: data<8>)
	predicate ready
	predicate speed(m: Mode, n: data<16>)
	method Send(buf: []data<8>) {
		fault $lost
		for b in buf { ensures tx(b) }
	}
}`, []string{"fault lost is about one element of a request: declare it inside the method's for"}},
		{"twice in a method", `class tclass {
	type Mode = enum { Slow, Fast }
	event tx(b: data<8>)
	predicate ready
	predicate speed(m: Mode, n: data<16>)
	method Send(buf: []data<8>) {
		for b in buf { ensures tx(b) fault lost fault $lost }
	}
}`, []string{"duplicate fault lost"}},
		{"shared by two methods", `class tclass {
	type Mode = enum { Slow, Fast }
	event tx(b: data<8>)
	predicate ready
	predicate speed(m: Mode, n: data<16>)
	method Send(buf: []data<8>) { for b in buf { ensures tx(b) fault lost } }
	method Send2(buf: []data<8>) { for b in buf { ensures tx(b) fault lost } }
}`, nil},
		{"clashes with a predicate", `class tclass {
	type Mode = enum { Slow, Fast }
	event tx(b: data<8>)
	predicate ready
	predicate speed(m: Mode, n: data<16>)
	method Send(buf: []data<8>) { for b in buf { ensures tx(b) fault $ready } }
}`, []string{"duplicate name ready: already declared as predicate"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds, marks := checkDev(t, dev, tc.cls)
			wantAt(t, ds, marks, tc.msgs...)
		})
	}
}

func TestFormatClassFaults(t *testing.T) {
	f := parseOK(t, "t.osi", faultClass)
	out := string(Format(f))
	assert.Contains(t, out, "fault overrun \"bytes were lost before this one\"\n")
	assert.Contains(t, out, "fault parity\n")
	again, err := Parse("t.osi", []byte(out))
	require.NoError(t, err)
	assert.Equal(t, out, string(Format(again)), "formatting is idempotent")
}
