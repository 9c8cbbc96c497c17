package dsl

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// syntaxErrors parses src and returns its diagnostics as "line:col: msg".
func syntaxErrors(t *testing.T, src string) []string {
	t.Helper()
	_, err := Parse("x.dev", []byte(src))
	require.Error(t, err)
	ds, ok := err.(Diagnostics)
	require.True(t, ok, "%T: %v", err, err)
	var out []string
	for _, d := range ds {
		out = append(out, strings.TrimPrefix(d.Error(), "x.dev:"))
	}
	return out
}

func TestSyntaxErrorsAtTheirTokens(t *testing.T) {
	got := syntaxErrors(t, `device x implements serial {
	bus port width 8
	register A @ 0 : rx {
		field X [7:0]
	}
	const C = 99999999999999999999
	register B @ 1 : rw width 8 {
		field Y [7:0
	}
	state s: bool = tru e
	internal t fair when s {
		s = = false
	}
	register D @ 2 : rw { field é [0] }
	const K = 0x1g
}
`)
	assert.Equal(t, []string{
		`3:19: error: syntax error: unexpected name rx, expected ro, wo or rw`,
		`6:12: error: number 99999999999999999999 does not fit in 64 bits`,
		`9:2: error: syntax error: unexpected "}", expected "]"`,
		`10:22: error: syntax error: unexpected name e after the state declaration`,
		`12:7: error: syntax error: unexpected "=", expected an expression`,
		`14:30: error: unexpected character 'é' (U+00E9): names and operators are ASCII; other characters belong in comments and strings`,
		`15:12: error: malformed number 0x1g (numbers are decimal, 0x hex or 0b binary)`,
	}, got)
}

func TestSyntaxErrorsInTheLanguagesWords(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"", `1:1: error: syntax error: empty file, expected a device or class declaration`},
		{"hello", `1:1: error: syntax error: unexpected name hello, expected device or class`},
		{"device", `1:7: error: syntax error: unexpected end of file, expected a name`},
		{"device x", `1:9: error: syntax error: unexpected end of file, expected implements`},
		{"device x implements y { } extra", `1:27: error: syntax error: unexpected name extra after the end of the device`},
		{"device x implements y {\n\tregister A @ 0 : rw width { }\n}", `2:28: error: syntax error: unexpected "{", expected a number after width`},
		{"device x implements y {\n\tstate s: uint<8> = \"x\n}", `2:21: error: string not terminated before the end of the line`},
		{"class c {\n\tmethod Init() {\n\t\tensures\n\t}\n}", `4:2: error: syntax error: unexpected "}", expected an expression`},
		{"class c {\n\tpredicate p(x: )\n}", `2:17: error: syntax error: unexpected ")", expected bool, uint, data, enum or a name`},
		// Where participle would back off to the start of a block's item.
		{"device x implements y {\n\tregister A @ 0 : rw {\n\t\ton read { foo bar }\n\t}\n}", `3:17: error: syntax error: unexpected name bar, expected "="`},
		{"device x implements y {\n\tregister A @ 0 : rw {\n\t\tfild X [0]\n\t}\n}", `3:3: error: syntax error: unexpected name fild, expected field, on or "}"`},
		{"device x implements y {\n\tbind y {\n\t\tready\n\t}\n}", `4:2: error: syntax error: unexpected "}", expected "="`},
		{"device x implements y {\n\tregster A @ 0 : rw { }\n}", `2:2: error: syntax error: unexpected name regster, expected a declaration (bus, region, const, type, state, register, stream, internal, input, interrupt, fault, bind) or "}"`},
		{"class c {\n\tmethod M() {\n\t\tfoo x\n\t}\n}", `3:3: error: syntax error: unexpected name foo, expected requires, ensures, for, fault or "}"`},
		{"class c {\n\tmethod M() -> x { }\n}", `2:16: error: syntax error: unexpected name x, expected "(" after ->`},
		{"device x implements y {\n\tinternal t when s {\n\t\tif s { s = false } else s = true\n\t}\n}", `3:27: error: syntax error: unexpected name s, expected "{" after else`},
		{"device x implements y {\n\tregister A @ : rw width { }\n}", `2:15: error: syntax error: unexpected ":", expected a number`},
	} {
		got := syntaxErrors(t, c.src)
		require.NotEmpty(t, got, "%q", c.src)
		assert.Equal(t, c.want, got[0], "%q", c.src)
		for _, msg := range got {
			assert.NotRegexp(t, `<ident>|<number>|RegItem|DeviceItem|\(expected`, msg, "grammar notation leaks")
		}
	}
}

// A missing closing brace cuts the declaration at the next one that starts
// a line as the first declaration did; both halves are checked.
func TestSyntaxRecoveryAfterMissingBrace(t *testing.T) {
	got := syntaxErrors(t, "device x implements y {\n\tregister A @ 0 : rw {\n\t\tfield X [0]\n\n\tstate s: bool\n\tstate t: uint<3> = 9 +\n}\n")
	assert.Equal(t, []string{
		`5:2: error: syntax error: unexpected "state", expected "}"`,
		`7:1: error: syntax error: unexpected "}", expected an expression`,
	}, got)
}

func TestBinaryFileIsNotEchoed(t *testing.T) {
	src := append([]byte("device x implements y {\n"), 0x7f, 'E', 'L', 'F', 0, 0, 1, 2, 3)
	src = append(src, bytes.Repeat([]byte{0xff, 0xfe}, 1000)...)
	_, err := Parse("a.out", src)
	ds, ok := err.(Diagnostics)
	require.True(t, ok)
	require.Len(t, ds, 1)
	assert.Equal(t, "a.out:2:5: error: not a spec: the file is not text (a NUL byte at byte 28)", ds[0].Error())
	srcs := NewSources()
	srcs.Add("a.out", src)
	assert.Equal(t, ds[0].Error(), srcs.Render(ds), "no source line under a binary file's diagnostic")
}

func TestNestingIsBounded(t *testing.T) {
	deep := "device x implements y {\n\tconst C = " + strings.Repeat("(", 1_000_000) + "1" + strings.Repeat(")", 1_000_000) + "\n}\n"
	got := syntaxErrors(t, deep)
	require.Len(t, got, 1)
	assert.Equal(t, "2:211: error: brackets nest too deeply (more than 200 levels)", got[0])

	ok := "device x implements y {\n\tbus port width 8\n\tconst C = " + strings.Repeat("(", 150) + "1" + strings.Repeat(")", 150) + "\n}\n"
	_, err := Parse("x.dev", []byte(ok))
	assert.NoError(t, err, "150 levels are allowed")
}

func TestLongLinesAreNotEchoed(t *testing.T) {
	src := "device x implements y {\n\tconst C = 1 " + strings.Repeat("+ 1 ", 100) + "+ )\n}\n"
	_, err := Parse("x.dev", []byte(src))
	ds := err.(Diagnostics)
	srcs := NewSources()
	srcs.Add("x.dev", []byte(src))
	require.Len(t, ds, 1)
	assert.Equal(t, 2, ds[0].Pos.Line)
	assert.Equal(t, ds.Error(), srcs.Render(ds))
}

func TestSyntaxErrorsInLayouts(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{"layout L { field X @ 120 data<32> le = n }", `4:27: error: syntax error: unexpected "data", expected ":"`},
		{"layout L { fild X @ 1 : data<8> }", `4:13: error: syntax error: unexpected name fild, expected field or "}"`},
		{"on read { } layout L { }", `4:14: error: syntax error: unexpected "layout" after a handler: a stream's layouts come before its handlers`},
	} {
		src := "device x implements block {\n\tbus port width 8\n\tstream D @ 0 : ro width 16 fifo 512 {\n\t" + c.body + "\n\t}\n}\n"
		assert.Equal(t, []string{c.want}, syntaxErrors(t, src), c.body)
	}
}
