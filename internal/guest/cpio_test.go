package guest

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readNewc is an independent reader of the archive, field by field, as the
// kernel's initramfs unpacker reads it.
type newcEntry struct {
	name         string
	mode         uint32
	data         []byte
	major, minor uint32
}

func readNewc(t *testing.T, b []byte) []newcEntry {
	t.Helper()
	var out []newcEntry
	off := 0
	for {
		require.Zero(t, off%4, "header at %d is not 4-aligned", off)
		require.GreaterOrEqual(t, len(b), off+110, "truncated header")
		h := b[off : off+110]
		require.Equal(t, "070701", string(h[:6]))
		field := func(i int) uint32 {
			v, err := strconv.ParseUint(string(h[6+8*i:14+8*i]), 16, 32)
			require.NoError(t, err)
			return uint32(v)
		}
		size, namesize := int(field(6)), int(field(11))
		nameAt := off + 110
		name := string(b[nameAt : nameAt+namesize-1])
		require.Equal(t, byte(0), b[nameAt+namesize-1], "name not NUL-terminated")
		dataAt := (nameAt + namesize + 3) &^ 3
		e := newcEntry{name: name, mode: field(1), data: b[dataAt : dataAt+size], major: field(9), minor: field(10)}
		off = (dataAt + size + 3) &^ 3
		if name == "TRAILER!!!" {
			require.Equal(t, len(b), off, "bytes after the trailer")
			return out
		}
		out = append(out, e)
	}
}

func TestInitramfsRoundTrip(t *testing.T) {
	r := NewInitramfs()
	require.NoError(t, r.CharDev("dev/console", 0o600, 5, 1))
	require.NoError(t, r.File("/init", 0o755, []byte("#!binary")))
	require.NoError(t, r.File("etc/odd", 0o644, []byte("12345"))) // not a multiple of 4
	img := r.Bytes()
	got := readNewc(t, img)

	names := []string{}
	for _, e := range got {
		names = append(names, e.name)
	}
	assert.Equal(t, []string{"dev", "dev/console", "etc", "etc/odd", "init"}, names, "parents first, in name order")
	byName := map[string]newcEntry{}
	for _, e := range got {
		byName[e.name] = e
	}
	assert.Equal(t, uint32(0o020600), byName["dev/console"].mode)
	assert.Equal(t, [2]uint32{5, 1}, [2]uint32{byName["dev/console"].major, byName["dev/console"].minor})
	assert.Equal(t, uint32(0o040755), byName["dev"].mode)
	assert.Equal(t, uint32(0o100755), byName["init"].mode)
	assert.Equal(t, []byte("#!binary"), byName["init"].data)
	assert.Equal(t, []byte("12345"), byName["etc/odd"].data)
	assert.True(t, bytes.Equal(img, r.Bytes()), "the same tree gives the same bytes")
}

func TestInitramfsRejectsConflicts(t *testing.T) {
	r := NewInitramfs()
	require.NoError(t, r.File("init", 0o755, nil))
	assert.ErrorContains(t, r.File("init", 0o755, nil), "added twice")
	assert.ErrorContains(t, r.File("init/x", 0o644, nil), "init is a file")
	assert.ErrorContains(t, r.Dir("/"), "names the root")
	require.NoError(t, r.Dir("dev"))
	assert.NoError(t, r.Dir("dev"), "a directory may be named twice")
}
