package dsl

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The checker tests write a small spec with a $ in front of every place a
// diagnostic must point at, and list the messages in source order. The $
// is removed before parsing; its line:col is the expected position.

// testClass is the class the test devices implement.
const testClass = `class tclass {
	type Mode = enum { Slow, Fast }
	event tx(b: data<8>)
	event done()
	predicate ready
	predicate speed(m: Mode, n: data<16>)
	method Init() {
		ensures ready
	}
	method Send(buf: []data<8>) {
		for b in buf {
			ensures tx(b)
		}
	}
}
`

// testDevice wraps declarations in a device with a bus and a full binding.
func testDevice(body string) string {
	return "device d implements tclass {\n\tbus port width 8 irq\n" + body +
		"\n\tbind tclass {\n\t\tready = true\n\t\tspeed(m, n) = true\n\t}\n}\n"
}

// markers strips the $ markers from src and returns their positions.
func markers(name, src string) (string, []Pos) {
	var out strings.Builder
	var marks []Pos
	line, col := 1, 1
	for _, r := range src {
		if r == '$' {
			marks = append(marks, Pos{Filename: name, Line: line, Column: col})
			continue
		}
		out.WriteRune(r)
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return out.String(), marks
}

func parseOK(t *testing.T, name, src string) *File {
	t.Helper()
	f, err := Parse(name, []byte(src))
	require.NoError(t, err, "test spec must parse")
	return f
}

// checkDev checks a device source (with markers) against a class source
// (with markers) and returns the diagnostics and all markers in order.
func checkDev(t *testing.T, dev, class string) (Diagnostics, []Pos) {
	t.Helper()
	csrc, cmarks := markers("t.osi", class)
	dsrc, dmarks := markers("t.dev", dev)
	s := &Spec{Device: parseOK(t, "t.dev", dsrc), Class: parseOK(t, "t.osi", csrc)}
	// Diagnostics sort by file name: the class (t.osi) after the device.
	return Check(s), append(dmarks, cmarks...)
}

// wantAt asserts that the diagnostics are exactly the listed messages (as
// substrings), one per marker, in position order.
func wantAt(t *testing.T, ds Diagnostics, marks []Pos, msgs ...string) {
	t.Helper()
	var dump strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&dump, "%s\n", d.Error())
	}
	require.Len(t, marks, len(msgs), "test bug: markers and messages differ")
	require.Len(t, ds, len(msgs), "diagnostics:\n%s", dump.String())
	for i, d := range ds {
		assert.Equal(t, marks[i].Filename, d.Pos.Filename, "diagnostic %d: %s", i, d.Msg)
		assert.Equal(t, fmt.Sprintf("%d:%d", marks[i].Line, marks[i].Column), fmt.Sprintf("%d:%d", d.Pos.Line, d.Pos.Column),
			"diagnostic %d: %s", i, d.Msg)
		assert.Contains(t, d.Msg, msgs[i])
	}
}

type ckCase struct {
	name string
	dev  string // device body (wrapped by testDevice) unless full is set
	full bool
	cls  string // class source; testClass when empty
	msgs []string
	warn bool // the diagnostics are warnings
}

func runCases(t *testing.T, cases []ckCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dev := tc.dev
			if !tc.full {
				dev = testDevice(dev)
			}
			cls := tc.cls
			if cls == "" {
				cls = testClass
			}
			ds, marks := checkDev(t, dev, cls)
			wantAt(t, ds, marks, tc.msgs...)
			for _, d := range ds {
				if tc.warn {
					assert.Equal(t, Warning, d.Severity, d.Msg)
				} else {
					assert.Equal(t, Error, d.Severity, d.Msg)
				}
			}
		})
	}
}

func TestCheckCleanSpecs(t *testing.T) {
	ds, _ := checkDev(t, testDevice(`
	const K = 3
	type Phase = enum { IDLE, BUSY }
	state phase: Phase = IDLE
	state n: uint<4> = 15
	state wide: data<32>
	state flag: bool
	register A @ 0 : rw { field X [7:0] }
	register S @ 3 : ro {
		field F [0] = flag
		field P [2:1] enum { LOW = 0, HIGH = 3 } = phase == BUSY ? HIGH : LOW
		field N [7:4] = n
		on read { flag = false }
	}
	register C @ 1 : wo when A.X == 0 {
		field GO [0] trigger
		field M [2:1] enum { ONE = 1, TWO = 2 }
		on write {
			if GO == 1 && M == TWO { phase = BUSY }
			require phase == IDLE "busy"
			emit tx(A.X)
		}
	}
	register D @ 1 : rw when A.X == 1 { field LO [7:0] }
	stream DATA @ 2 : rw width 8 fifo {
		on write { emit tx(wide[7:0]) }
	}
	internal finish fair when phase == BUSY { phase = IDLE  emit done() }
	input line(b: data<8>) { wide = {wide[31:8], b} }
	interrupt when phase == IDLE && flag
	fault BROKEN when n == K "broken"`), testClass)
	assert.Empty(t, ds, "%v", ds)
}

func TestCheckDuplicates(t *testing.T) {
	runCases(t, []ckCase{
		{name: "register", dev: `
	register A @ 0 : rw { field X [7:0] }
	register $A @ 1 : rw { field X [7:0] }`, msgs: []string{"duplicate register A (first declared at 4:11)"}},
		{name: "field", dev: `
	register A @ 0 : rw { field X [3:0] field $X [7:4] }`, msgs: []string{"duplicate field X (first declared at 4:30)"}},
		{name: "state", dev: `
	state s: bool
	state $s: bool`, msgs: []string{"duplicate state s"}},
		{name: "const", dev: `
	const K = 1
	const $K = 2`, msgs: []string{"duplicate const K"}},
		{name: "across kinds", dev: `
	const K = 1
	state $K: bool`, msgs: []string{"duplicate name K: already declared as const at 4:8"}},
		{name: "type", dev: `
	type T = enum { A }
	type $T = enum { B }`, msgs: []string{"duplicate type T"}},
		{name: "enum member", dev: `
	type T = enum { A, $A }`, msgs: []string{"duplicate enum member A (first declared at 4:18)"}},
		{name: "field enum member", dev: `
	register A @ 0 : rw { field M [1:0] enum { ONE = 1, $ONE = 2 } }`, msgs: []string{"duplicate enum member ONE"}},
		{name: "input param", dev: `
	input i(a: bool, $a: bool) { }`, msgs: []string{"duplicate parameter a"}},
		{name: "internal", dev: `
	state s: bool
	internal go when s { s = false }
	internal $go when s { s = false }`, msgs: []string{"duplicate internal transition go"}},
		{name: "handler", dev: `
	register A @ 0 : rw { field X [7:0] on read { } on $read { } }`, msgs: []string{"duplicate on read handler"}},
		{name: "binding", full: true, dev: `device d implements tclass {
	bus port width 8
	bind tclass {
		ready = true
		$ready = false
		speed(m, n) = true
	}
}`, msgs: []string{"duplicate binding of predicate ready"}},
	})
}

func TestCheckClassDuplicates(t *testing.T) {
	cases := []struct{ name, src, msg string }{
		{"event", "class c {\n\tevent e(x: bool)\n\tevent $e()\n}", "duplicate event e (first declared at 2:8)"},
		{"predicate", "class c {\n\tpredicate p\n\tpredicate $p\n}", "duplicate predicate p"},
		{"event and predicate", "class c {\n\tevent p()\n\tpredicate $p\n}", "duplicate name p: already declared as event"},
		{"method", "class c {\n\tmethod M() { }\n\tmethod $M() { }\n}", "duplicate method M"},
		{"type", "class c {\n\ttype T = enum { A }\n\ttype $T = enum { B }\n}", "duplicate type T"},
		{"enum member", "class c {\n\ttype T = enum { A, $A }\n}", "duplicate enum member A"},
		{"method params", "class c {\n\tmethod M(a: bool, $a: bool) { }\n}", "duplicate parameter a"},
		{"param and result", "class c {\n\tmethod M(a: bool) -> ($a: bool) { }\n}", "duplicate parameter a"},
		{"out param", "class c {\n\tmethod M(a: []data<8>, out $a: []data<8>) { }\n}", "duplicate parameter a"},
		{"event params", "class c {\n\tevent e(a: bool, $a: bool)\n}", "duplicate parameter a"},
		{"predicate params", "class c {\n\tpredicate p(a: bool, $a: bool)\n}", "duplicate parameter a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, marks := markers("c.osi", tc.src)
			ds := CheckClass(parseOK(t, "c.osi", src))
			wantAt(t, ds, marks, tc.msg)
		})
	}
}

func TestCheckUndefined(t *testing.T) {
	runCases(t, []ckCase{
		{name: "register", dev: `
	register A @ 0 : rw when $NOPE.X == 1 { field X [7:0] }`, msgs: []string{"undefined register or type NOPE"}},
		{name: "field", dev: `
	register A @ 0 : rw { field X [7:0] }
	register B @ 1 : rw when A.$Y == 1 { field X [7:0] }`, msgs: []string{"register A has no field Y"}},
		{name: "state", dev: `
	register A @ 0 : rw { field X [7:0] on write { $s2 = true } }`, msgs: []string{"undefined: s2"}},
		{name: "state in expression", dev: `
	state s: bool
	internal i when s && $t { s = false }`, msgs: []string{"undefined: t"}},
		{name: "event", dev: `
	register A @ 0 : wo { field X [7:0] on write { emit $nope(X) } }`, msgs: []string{"class tclass has no event nope"}},
		{name: "type", dev: `
	state s: $Nope`, msgs: []string{"undefined type Nope"}},
		{name: "region", dev: `
	register A @ $ctl + 0 : rw { field X [7:0] }`, msgs: []string{"undefined region ctl"}},
		{name: "predicate in bind", full: true, dev: `device d implements tclass {
	bus port width 8
	bind tclass {
		ready = true
		speed(m, n) = true
		$nope = true
	}
}`, msgs: []string{"class tclass has no predicate nope"}},
		{name: "enum member", dev: `
	register A @ 0 : rw { field M [1:0] enum { ONE = 1, TWO = 2 } }
	register B @ 1 : rw when A.M == $THREE { field X [7:0] }`, msgs: []string{"undefined: THREE"}},
		{name: "qualified enum member", dev: `
	register A @ 0 : rw { field M [1:0] enum { ONE = 1, TWO = 2 } }
	register B @ 1 : rw when A.M == A.M.$THREE { field X [7:0] }`, msgs: []string{"THREE is not a member of A.M"}},
		{name: "member of another enum", dev: `
	register A @ 0 : rw { field M [1:0] enum { ONE = 1 } field N [3:2] enum { ONE = 2 } field P [5:4] enum { TWO } }
	register B @ 1 : rw when A.P == $ONE { field X [7:0] }`, msgs: []string{"ONE is not a member of enum A.P"}},
		{name: "ambiguous member", dev: `
	register A @ 0 : rw { field M [1:0] enum { ONE = 1 } field N [3:2] enum { ONE = 2 } }
	state s: bool = $ONE`, msgs: []string{"ambiguous enum member ONE (in A.M, A.N)"}},
	})
}

func TestCheckUndefinedClass(t *testing.T) {
	dir := t.TempDir()
	src, marks := markers("x.dev", "device x implements $nosuch {\n\tbus port width 8\n}\n")
	path := dir + "/x.dev"
	require.NoError(t, writeFile(path, src))
	_, ds := LoadDevice(path)
	require.Len(t, ds, 1)
	assert.Equal(t, marks[0].Line, ds[0].Pos.Line)
	assert.Equal(t, marks[0].Column, ds[0].Pos.Column)
	assert.Contains(t, ds[0].Msg, `class "nosuch" not found`)
}

func TestCheckLayout(t *testing.T) {
	runCases(t, []ckCase{
		{name: "field outside width", dev: `
	register A @ 0 : rw { field X $[8:0] }`, msgs: []string{"field X [8:0] does not fit in the 8-bit register A"}},
		{name: "field outside 16-bit width", dev: `
	register A @ 0 : rw width 16 { field X [15:0] field Y $[16] }`, msgs: []string{"field Y [16] does not fit in the 16-bit register A"}},
		{name: "reversed bits", dev: `
	register A @ 0 : rw { field X $[0:3] }`, msgs: []string{"bit range [0:3] of field X is reversed"}},
		{name: "overlapping fields", dev: `
	register A @ 0 : rw { field X [3:0] field Y $[4:3] }`, msgs: []string{"field Y [4:3] overlaps field X [3:0] of register A"}},
		{name: "overlapping registers", dev: `
	register A @ 0 : rw { field X [7:0] }
	register $B @ 0 : ro { field Y [7:0] }`, msgs: []string{"register B overlaps register A at offset 0 (both readable, unbanked)"}},
		{name: "overlapping wide register on mmio", full: true, dev: `device d implements tclass {
	bus mmio width 32
	register A @ 0 : rw width 32 { field X [31:0] }
	register $B @ 2 : wo width 16 { field Y [15:0] }
	bind tclass { ready = true speed(m, n) = true }
}`, msgs: []string{"register B overlaps register A at offset 2 (both writable, unbanked)"}},
		{name: "wide port registers take one port", dev: `
	register A @ 0 : rw width 16 { field X [15:0] }
	register B @ 1 : rw { field Y [7:0] }`, msgs: nil},
		{name: "overlapping in the same bank", dev: `
	register A @ 0 : rw { field X [7:0] }
	register B @ 1 : rw when A.X == 1 { field Y [7:0] }
	register $C @ 1 : ro when A.X==1 { field Z [7:0] }`, msgs: []string{"register C overlaps register B at offset 1 (both readable, banked when A.X == 1)"}},
		{name: "overlapping in a region", dev: `
	region ctl size 2
	register A @ ctl + 0 : rw { field X [7:0] }
	register $B @ ctl + 0 : rw { field Y [7:0] }
	register C @ 0 : rw { field Z [7:0] }`, msgs: []string{"register B overlaps register A"}},
		{name: "outside region", dev: `
	region ctl size 2
	register A @ ctl + $2 : rw { field X [7:0] }`, msgs: []string{"register A (bytes 2 to 2) lies outside region ctl (size 2)"}},
		{name: "register width", dev: `
	register A @ 0 : rw width $12 { field X [7:0] }`, msgs: []string{"register width must be 8, 16, 32 or 64 bits, not 12"}},
		{name: "register reset", dev: `
	register A @ 0 : rw reset $0x100 { field X [7:0] }`, msgs: []string{"reset value 0x100 of register A does not fit in 8 bits"}},
		{name: "field reset", dev: `
	register A @ 0 : rw { field X [1:0] reset $4 }`, msgs: []string{"reset value 0x4 of field X does not fit in 2 bits"}},
		{name: "enum value", dev: `
	register A @ 0 : rw { field W [1:0] enum { A = 0, B = $4 } }`, msgs: []string{"enum value 4 of B does not fit in the 2-bit field A.W"}},
		{name: "implicit enum value", dev: `
	register A @ 0 : rw { field W [0] enum { A, B, $C } }`, msgs: []string{"enum value 2 of C does not fit in the 1-bit field A.W"}},
		{name: "no bus", full: true, dev: `device $d implements tclass {
	bind tclass { ready = true speed(m, n) = true }
}`, msgs: []string{"device d has no bus declaration"}},
		{name: "interrupt without irq", full: true, dev: `device d implements tclass {
	bus port width 8
	$interrupt when true
	bind tclass { ready = true speed(m, n) = true }
}`, msgs: []string{"the bus has no irq line"}},
	})
}

func TestCheckNoOverlap(t *testing.T) {
	ds, _ := checkDev(t, testDevice(`
	register A @ 0 : ro { field X [7:0] }
	register B @ 0 : wo { field X [7:0] }
	register C @ 1 : rw when A.X == 0 { field X [7:0] }
	register D @ 1 : rw when A.X == 1 { field X [7:0] }
	region ctl size 1
	register E @ ctl + 0 : rw { field X [7:0] }
	register F @ 2 : rw width 16 { field X [15:0] }`), testClass)
	assert.Empty(t, ds, "%v", ds)
}

func TestCheckHandlers(t *testing.T) {
	runCases(t, []ckCase{
		{name: "on read on wo", dev: `
	register A @ 0 : wo { field X [7:0] on $read { } }`, msgs: []string{"on read handler on write-only register A: it is never read"}},
		{name: "on write on ro", dev: `
	register A @ 0 : ro { field X [7:0] on $write { } }`, msgs: []string{"on write handler on read-only register A: it is never written"}},
		{name: "on write on ro stream", dev: `
	stream S @ 0 : ro width 8 fifo { on $write { } }`, msgs: []string{"on write handler on read-only stream S"}},
		{name: "assign ro field in handler", dev: `
	register S @ 0 : ro { field F [0] on read { $F = 0 } }`, msgs: []string{"cannot assign to S.F: register S is read-only"}},
		{name: "assign ro field elsewhere", dev: `
	state s: bool
	register S @ 0 : ro { field F [0] = s }
	internal i when s { $S.F = 1 }`, msgs: []string{"cannot assign to S.F: register S is read-only"}},
		{name: "assign computed field", dev: `
	state s: bool
	register S @ 0 : rw { field F [0] = s  field G [1] }
	internal i when s { $S.F = 1 }`, msgs: []string{"cannot assign to S.F: its value is computed"}},
		{name: "assign trigger", dev: `
	register C @ 0 : wo { field GO [0] trigger on write { $GO = 0 } }`, msgs: []string{"cannot assign to C.GO: it is a trigger"}},
		{name: "assign const", dev: `
	const K = 1
	register C @ 0 : wo { field X [7:0] on write { $K = X } }`, msgs: []string{"cannot assign to constant K"}},
		{name: "assign param", dev: `
	input i(b: bool) { $b = false }`, msgs: []string{"cannot assign to parameter b"}},
		{name: "value on wo field", dev: `
	state s: bool
	register C @ 0 : wo { field X [0] = $s }`, msgs: []string{"field X of write-only register C cannot have a value"}},
		{name: "rc on wo", dev: `
	register C @ 0 : wo { field X [0] $rc }`, msgs: []string{"rc on field X of write-only register C"}},
		{name: "w1c on ro", dev: `
	register C @ 0 : ro { field X [0] $w1c }`, msgs: []string{"w1c on field X of read-only register C"}},
	})
}

func TestCheckWidths(t *testing.T) {
	runCases(t, []ckCase{
		{name: "assign wider", dev: `
	state n: uint<4>
	register A @ 0 : wo { field X [7:0] on write { n = $X } }`,
			msgs: []string{"cannot use X (uint<8>) as uint<4> in assignment to n: width mismatch: 4 bits and 8 bits"}},
		{name: "constant does not fit", dev: `
	state n: uint<4>
	register A @ 0 : wo { field X [7:0] on write { n = $16 } }`,
			msgs: []string{"cannot use 16 (untyped constant) as uint<4> in assignment to n: constant 16 does not fit in 4 bits"}},
		{name: "constant in ?: arm", dev: `
	state s: bool
	register A @ 0 : ro { field X [1:0] = s ? 1 : $4 }`, msgs: []string{"cannot use 4 (untyped constant) as uint<2>"}},
		{name: "compare widths", dev: `
	state n: uint<4>
	register A @ 0 : wo { field X [7:0] on write { require $X == n } }`,
			msgs: []string{"cannot compare X (uint<8>) with n (uint<4>): width mismatch: 8 bits and 4 bits"}},
		{name: "compare bool with number", dev: `
	state s: bool
	internal i when $s == 1 { s = false }`, msgs: []string{"cannot compare s (bool) with 1 (untyped constant)"}},
		{name: "compare constant too wide", dev: `
	register A @ 0 : rw { field X [2:0] }
	register B @ 1 : rw when $A.X == 8 { field Y [7:0] }`, msgs: []string{"constant 8 does not fit in 3 bits"}},
		{name: "compare enums", dev: `
	register A @ 0 : rw { field M [0] enum { P, Q } field N [1] enum { R, S } }
	register B @ 1 : rw when $A.M == A.N { field Y [7:0] }`, msgs: []string{"mismatched types enum A.M and enum A.N"}},
		{name: "state init", dev: `
	state n: uint<4> = $16`, msgs: []string{"constant 16 does not fit in 4 bits"}},
		{name: "state init not constant", dev: `
	state a: bool
	state b: bool = $a`, msgs: []string{"a is not a constant"}},
		{name: "uint too wide", dev: `
	state n: uint<$20>`, msgs: []string{"uint<20> is too wide to enumerate (at most 16 bits): use data<20>"}},
		{name: "concat unsized", dev: `
	state w: data<16>
	input i(b: data<8>) { w = {$0, b} }`, msgs: []string{"cannot concatenate 0: untyped constant has no width"}},
		{name: "concat width", dev: `
	state w: data<16>
	input i(b: data<8>) { w = ${b, b, b} }`, msgs: []string{"cannot use {b, b, b} (data<24>) as data<16>"}},
		{name: "slice out of range", dev: `
	state w: data<16>
	input i(b: data<8>) { w = {b, b$[8:1]} }`, msgs: []string{"bit 8 is out of range: b has 8 bits"}},
		{name: "match misses", dev: `
	type T = enum { A, B, C }
	state t: T
	register R @ 0 : ro { field X [1:0] = $match t { A => 0, B => 1 } }`, msgs: []string{"match on t misses C"}},
		{name: "match pattern", dev: `
	type T = enum { A, B }
	state t: T
	register R @ 0 : ro { field X [1:0] = match t { A => 0, B => 1, $Z => 2 } }`, msgs: []string{"Z is not a member of enum T"}},
		{name: "arithmetic on bool", dev: `
	state s: bool
	state n: uint<4>
	internal i when s { n = $s + 1 }`, msgs: []string{"operator + needs numbers, but s is bool"}},
	})
}

func TestCheckConditions(t *testing.T) {
	runCases(t, []ckCase{
		{name: "require", dev: `
	register A @ 0 : wo { field X [7:0] on write { require $X "must be set" } }`,
			msgs: []string{"require condition must be boolean, but X is uint<8>"}},
		{name: "guard", dev: `
	state n: uint<4>
	internal i when $n { n = 0 }`, msgs: []string{"guard of internal i must be boolean, but n is uint<4>"}},
		{name: "input guard", dev: `
	state n: uint<4>
	input i() when $n + 1 { n = 0 }`, msgs: []string{"guard of input i must be boolean"}},
		{name: "when", dev: `
	state n: uint<4>
	register A @ 0 : rw when $n { field X [7:0] }`, msgs: []string{"when condition of register A must be boolean"}},
		{name: "if", dev: `
	state n: uint<4>
	input i() { if $n { n = 0 } }`, msgs: []string{"if condition must be boolean"}},
		{name: "interrupt", dev: `
	state n: uint<4>
	interrupt when $n`, msgs: []string{"interrupt condition must be boolean"}},
		{name: "fault", dev: `
	state n: uint<4>
	fault F when $n "broken"`, msgs: []string{"condition of fault F must be boolean"}},
		{name: "binding body", full: true, dev: `device d implements tclass {
	bus port width 8
	state n: uint<4>
	bind tclass { ready = $n speed(m, n) = true }
}`, msgs: []string{"binding of predicate ready must be boolean"}},
		{name: "one-bit field is a condition", dev: `
	register A @ 0 : rw { field X [0] }
	register B @ 1 : rw when A.X { field Y [7:0] }`, msgs: nil},
	})
}

func TestCheckEvents(t *testing.T) {
	runCases(t, []ckCase{
		{name: "arity", dev: `
	register A @ 0 : wo { field X [7:0] on write { emit $tx(X, X) } }`, msgs: []string{"event tx takes 1 argument, got 2"}},
		{name: "no arguments", dev: `
	register A @ 0 : wo { field X [7:0] on write { emit $done(X) } }`, msgs: []string{"event done takes 0 arguments, got 1"}},
		{name: "type", dev: `
	state s: bool
	register A @ 0 : wo { field X [7:0] on write { emit tx($s) } }`, msgs: []string{"cannot use s (bool) as data<8> in argument b of tx"}},
		{name: "width", dev: `
	register A @ 0 : wo width 16 { field X [15:0] on write { emit tx($X) } }`, msgs: []string{"width mismatch: 8 bits and 16 bits"}},
		{name: "narrower", full: true, dev: `device d implements tclass {
	bus port width 8
	register A @ 0 : wo { field X [7:0] }
	bind tclass { ready = true speed(m, n) = $n == A.X }
}`, msgs: []string{"width mismatch: 16 bits and 8 bits"}},
		{name: "zero-extension hint", dev: `
	state w: data<16>
	register A @ 0 : wo { field X [7:0] on write { w = $X } }`, msgs: []string{"(zero-extend it explicitly: {0[7:0], X})"}},
		{name: "zero-extension", dev: `
	state w: data<16>
	register A @ 0 : wo { field X [7:0] on write { w = {0[7:0], X} } }`, msgs: nil},
	})
}

func TestCheckBinding(t *testing.T) {
	runCases(t, []ckCase{
		{name: "misses a predicate", full: true, dev: `device d implements tclass {
	bus port width 8
	bind $tclass { ready = true }
}`, msgs: []string{"bind tclass misses predicate speed of the class"}},
		{name: "binds one the class lacks", full: true, dev: `device d implements tclass {
	bus port width 8
	bind tclass { ready = true speed(m, n) = true $fast = true }
}`, msgs: []string{"class tclass has no predicate fast"}},
		{name: "wrong parameter count", full: true, dev: `device d implements tclass {
	bus port width 8
	bind tclass { ready = true $speed(m) = true }
}`, msgs: []string{"predicate speed has 2 parameters, the binding names 1"}},
		{name: "wrong class", full: true, dev: `device d implements tclass {
	bus port width 8
	bind $other { ready = true }
}`, msgs: []string{"device d implements tclass, so it binds tclass, not other"}},
		{name: "no bind", full: true, dev: `device d implements $tclass {
	bus port width 8
}`, msgs: []string{"device d implements tclass but has no bind tclass"}},
		{name: "parameter types", full: true, dev: `device d implements tclass {
	bus port width 8
	register A @ 0 : rw { field X [7:0] }
	bind tclass { ready = true speed(m, n) = m == Fast && $n == A.X }
}`, msgs: []string{"cannot compare n (data<16>) with A.X (uint<8>)"}},
		{name: "class enum in match", full: true, dev: `device d implements tclass {
	bus port width 8
	register A @ 0 : rw { field M [0] enum { SLOW, FAST } field N [7:1] }
	bind tclass { ready = true speed(m, n) = A.M == match m { Slow => SLOW, Fast => FAST } }
}`, msgs: nil},
	})
}

func TestCheckContracts(t *testing.T) {
	dev := testDevice("")
	cases := []struct {
		name, cls string
		msgs      []string
	}{
		{"unknown predicate", `class tclass {
	predicate ready
	predicate speed(m: bool, n: data<16>)
	method Init() { ensures $nope }
}`, []string{"undefined: nope"}},
		{"unknown event", `class tclass {
	predicate ready
	predicate speed(m: bool, n: data<16>)
	method Init() { ensures $nope(1) }
}`, []string{"class tclass has no predicate or event nope"}},
		{"unknown param", `class tclass {
	predicate ready
	predicate speed(m: bool, n: data<16>)
	method Init(a: data<8>) { requires $x > 0 }
}`, []string{"undefined: x"}},
		{"for over non-slice", `class tclass {
	event tx(b: data<8>)
	predicate ready
	predicate speed(m: bool, n: data<16>)
	method Send(n: data<8>) { for b in $n { ensures tx(b) } }
}`, []string{"for b in n: n is data<8>, not a slice parameter"}},
		{"for over unknown", `class tclass {
	predicate ready
	predicate speed(m: bool, n: data<16>)
	method Send() { for b in $bufs { ensures ready } }
}`, []string{"bufs is not a parameter of the method"}},
		{"predicate arity", `class tclass {
	predicate ready
	predicate speed(m: bool, n: data<16>)
	method Init() { ensures $speed(true) }
}`, []string{"predicate speed takes 2 arguments, got 1"}},
		{"predicate without arguments", `class tclass {
	predicate ready
	predicate speed(m: bool, n: data<16>)
	method Init() { ensures $speed }
}`, []string{"predicate speed takes 2 arguments: write speed(...)"}},
		{"argument type", `class tclass {
	predicate ready
	predicate speed(m: bool, n: data<16>)
	method Set(x: data<8>) { ensures speed(true, $x) }
}`, []string{"cannot use x (data<8>) as data<16> in argument n of speed"}},
		{"requires reads out", `class tclass {
	predicate ready
	predicate speed(m: bool, n: data<16>)
	method Get(out b: []data<8>) { requires $b == b }
}`, []string{"requires clause reads out parameter b", "requires clause reads out parameter b"}},
		{"not boolean", `class tclass {
	predicate ready
	predicate speed(m: bool, n: data<16>)
	method Set(x: data<8>) { ensures $x }
}`, []string{"ensures clause must be boolean"}},
		{"lower-case method", `class tclass {
	predicate ready
	predicate speed(m: bool, n: data<16>)
	method $init() { ensures ready }
}`, []string{"method init must start with an upper-case letter"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds, marks := checkDev(t, dev, tc.cls)
			if tc.name == "requires reads out" {
				// Both operands name b: two markers at the same spot
				// would be ambiguous, so check the first only.
				require.NotEmpty(t, ds)
				assert.Contains(t, ds[0].Msg, tc.msgs[0])
				assert.Equal(t, marks[0].Column, ds[0].Pos.Column)
				return
			}
			wantAt(t, ds, marks, tc.msgs...)
		})
	}
}

func TestCheckStreams(t *testing.T) {
	runCases(t, []ckCase{
		{name: "overlaps a register", dev: `
	register A @ 0 : ro { field X [7:0] }
	stream $S @ 0 : ro width 8 fifo { }`, msgs: []string{"stream S overlaps register A (both readable, unbanked): a stream must be its own data port"}},
		{name: "register overlaps a stream", dev: `
	stream S @ 0 : wo width 16 fifo { }
	register $A @ 0 : rw { field X [7:0] }`, msgs: []string{"register A overlaps stream S (both writable, unbanked): a stream must be its own data port"}},
		{name: "width", dev: `
	stream S @ 0 : rw width $12 fifo { }`, msgs: []string{"stream width must be 8, 16 or 32 bits, not 12"}},
		{name: "window needs size", dev: `
	stream S @ 0 : rw width $32 window { }`, msgs: []string{"window stream S needs a size"}},
		{name: "buf is the buffer", dev: `
	stream S @ 0 : rw width 8 fifo { on read { emit tx($buf) } }`, msgs: []string{"cannot use buf (stream buffer) as data<8>"}},
		{name: "other direction", dev: `
	register A @ 0 : ro { field X [7:0] }
	stream S @ 0 : wo width 8 fifo { }`, msgs: nil},
	})
}

func TestCheckWarnings(t *testing.T) {
	runCases(t, []ckCase{
		{name: "warning", dev: `
	state s: bool
	internal $spin fair { s = !s }`, warn: true,
			msgs: []string{"internal spin is fair and has no guard: always enabled: the device never stops"}},
		{name: "require in an internal transition", dev: `
	state s: bool
	internal i when s { $require s  s = false }`, warn: true,
			msgs: []string{"require in an internal transition has no effect"}},
		{name: "trigger read elsewhere", dev: `
	register C @ 0 : wo { field GO [0] trigger on write { require GO == 1 } }
	register B @ 1 : rw when $C.GO == 1 { field X [7:0] }`, warn: true,
			msgs: []string{"C.GO is a trigger: it reads as 0 outside the on write handler of C"}},
		{name: "unfair is fine", dev: `
	state s: bool
	internal spin { s = !s }`, msgs: nil},
	})
}

func TestCheckConsts(t *testing.T) {
	runCases(t, []ckCase{
		{name: "cycle", dev: `
	const $A = B
	const B = A`, msgs: []string{"constant A is defined in terms of itself"}},
		{name: "state in const", dev: `
	state s: bool
	const K = $s`, msgs: []string{"s is not a constant"}},
		{name: "folded value must fit", dev: `
	const K = 0x10 * 16
	state n: uint<8> = $K`, msgs: []string{"constant 256 does not fit in 8 bits"}},
		{name: "division by zero", dev: `
	const K = 1 / $0`, msgs: []string{"division by zero"}},
	})
}

// TestCheckReportsAll checks that one run reports every error, not just
// the first, each at its own position, sorted.
func TestCheckReportsAll(t *testing.T) {
	ds, marks := checkDev(t, testDevice(`
	state n: uint<4> = $16
	register A @ 0 : rw { field X $[8:0] }
	register $A @ 1 : wo { field Y [7:0] on $read { } }
	internal i when $n { $m = 1 }
	input j() { emit $tx(1, 2) }`), testClass)
	wantAt(t, ds, marks,
		"constant 16 does not fit in 4 bits",
		"does not fit in the 8-bit register A",
		"duplicate register A",
		"on read handler on write-only register A",
		"guard of internal i must be boolean",
		"undefined: m",
		"event tx takes 1 argument, got 2")
}

func TestDiagnosticCaret(t *testing.T) {
	dev := testDevice("\tstate n: uint<4> = 16")
	ds, _ := checkDev(t, dev, testClass)
	require.Len(t, ds, 1)
	msg := "t.dev:3:21: error: cannot use 16 (untyped constant) as uint<4> in initial value of n: constant 16 does not fit in 4 bits"
	assert.Equal(t, msg, ds[0].Error(), "Error is one line")
	srcs := NewSources()
	src, _ := markers("t.dev", dev)
	srcs.Add("t.dev", []byte(src))
	assert.Equal(t, msg+"\n"+
		"\t    state n: uint<4> = 16\n"+
		"\t                       ^", srcs.Render(ds))
}

func TestCaretCountsRunes(t *testing.T) {
	srcs := NewSources()
	srcs.Add("f", []byte("// é é\nab x\n"))
	d := &Diagnostic{Pos: Pos{Filename: "f", Line: 1, Column: 6}}
	out := srcs.Render(Diagnostics{d})
	assert.True(t, strings.HasSuffix(out, "\n\t// é é\n\t     ^"), out)
}

func writeFile(path, src string) error { return os.WriteFile(path, []byte(src), 0o644) }

func TestCheckStreamLayouts(t *testing.T) {
	runCases(t, []ckCase{
		{name: "clean", dev: `
	state n: data<32>
	state busy: bool
	stream S @ 0 : ro width 16 fifo 512 {
		layout ID when !busy {
			field NAME @ 54 : data<320>
			field COUNT @ 120 : data<32> le = n
			field LOW @ 124 : data<8> = n[7:0]
		}
		on read { }
	}`, msgs: nil},
		{name: "errors", dev: `
	state n: data<32>
	stream S @ 0 : ro width 16 fifo 512 {
		layout ID when $n {
			field A @ 0 : $data<12>
			field $B @ 120 : data<32> = n
			field C @ $122 : data<16> le = $n
			field D @ $510 : data<32> le = n
			field E @ 400 : $data<24> le = $n
			field $A @ 300 : data<8>
		}
		layout $ID { }
	}
	stream W @ 1 : wo width 16 fifo 512 {
		$layout L { }
	}
	stream F @ 2 : ro width 16 fifo {
		$layout L { }
	}`, msgs: []string{
			"when condition of layout ID must be boolean, but n is data<32>",
			"layout field A is data<12>: a layout field is data<N> with N a whole number of bytes",
			"layout field B is 4 bytes: say their order, le (least significant byte first) or be",
			"layout field C (bytes 122 to 123) overlaps field B (bytes 120 to 123) of layout ID",
			"cannot use n (data<32>) as data<16> in value of layout field C",
			"layout field D (bytes 510 to 513) lies outside one transfer of stream S (512 bytes)",
			"layout field E has a value, so it must be 1, 2, 4 or 8 bytes, not 3",
			"cannot use n (data<32>) as data<24> in value of layout field E",
			"duplicate layout field A",
			"duplicate layout ID",
			"layout L on write-only stream W: a layout describes what a read delivers",
			"layout L needs the size of one transfer of stream F: write fifo N or window N",
		}},
	})
}
