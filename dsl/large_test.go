package dsl

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// largeDevice is a device spec of about size bytes: consts, state and
// registers with fields and handlers, all distinct, so the checker has a
// name to resolve on every line.
func largeDevice(size int) []byte {
	var b bytes.Buffer
	b.WriteString("device big implements tc {\n\tbus port width 8\n\tregion r size 65536\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "\tconst C%d = %d\n\tstate s%d: uint<8> = C%d %% 256\n", i, i, i, i)
		fmt.Fprintf(&b, "\tregister R%d @ r + %d : rw {\n\t\tfield F [7:0]\n\t\ton write {\n\t\t\ts%d = F\n\t\t}\n\t}\n", i, i%65536, i)
	}
	b.WriteString("\tbind tc {\n\t\tready = true\n\t}\n}\n")
	return b.Bytes()
}

const largeClass = "class tc {\n\tpredicate ready\n\tmethod Init() {\n\t\tensures ready\n\t}\n}\n"

// TestLargeSpecChecks parses and checks a 1 MB spec (the benchmark below
// times 10 MB): linear work, so it finishes quickly on any machine.
func TestLargeSpecChecks(t *testing.T) {
	dev, err := Parse("big.dev", largeDevice(1<<20))
	require.NoError(t, err)
	class, err := Parse("tc.osi", []byte(largeClass))
	require.NoError(t, err)
	ds := Check(&Spec{Device: dev, Class: class})
	// Register offsets repeat past 64 KiB of registers; nothing else is wrong.
	for _, d := range ds {
		require.Contains(t, d.Msg, "overlaps", d.Error())
	}
}

// BenchmarkCheck10MB parses and checks a 10 MB device spec.
func BenchmarkCheck10MB(b *testing.B) {
	src := largeDevice(10 << 20)
	class, err := Parse("tc.osi", []byte(largeClass))
	require.NoError(b, err)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		dev, err := Parse("big.dev", src)
		require.NoError(b, err)
		Check(&Spec{Device: dev, Class: class})
	}
}

// manyErrors is a spec with n syntax errors, one per declaration.
func manyErrors(n int) []byte {
	var b strings.Builder
	b.WriteString("device bad implements tc {\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "\tregister R%d @ %d : rx { }\n", i, i)
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

func TestEverySyntaxErrorReported(t *testing.T) {
	_, err := Parse("bad.dev", manyErrors(1000))
	ds, ok := err.(Diagnostics)
	require.True(t, ok, "%v", err)
	require.Len(t, ds, 1000)
	for i, d := range ds {
		require.Equal(t, Pos{Filename: "bad.dev", Line: i + 2, Column: 18 + len(fmt.Sprint(i))*2, Offset: d.Pos.Offset}, d.Pos)
		require.Equal(t, "syntax error: unexpected name rx, expected ro, wo or rw", d.Msg)
	}
}

// BenchmarkRender10000Errors parses a spec with 10,000 syntax errors and
// renders them all with their source lines.
func BenchmarkRender10000Errors(b *testing.B) {
	src := manyErrors(10000)
	for b.Loop() {
		_, err := Parse("bad.dev", src)
		ds := err.(Diagnostics)
		srcs := NewSources()
		srcs.Add("bad.dev", src)
		require.NoError(b, srcs.Print(io.Discard, ds))
		require.Len(b, ds, 10000)
	}
}
