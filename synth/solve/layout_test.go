package solve

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/spectest"
)

// ataWith writes the ATA spec beside a block class cut down to the methods
// named, and lowers it.
func ataWith(t *testing.T, methods ...string) *model.Model {
	t.Helper()
	cls, err := os.ReadFile("../../os-interface/block/block.osi")
	require.NoError(t, err)
	keep := map[string]bool{}
	for _, m := range methods {
		keep[m] = true
	}
	// Drop every method not kept: from "method Name" to its closing brace.
	re := regexp.MustCompile(`(?ms)^\tmethod (\w+)\(.*?^\t}\n`)
	text := re.ReplaceAllStringFunc(string(cls), func(s string) string {
		if keep[re.FindStringSubmatch(s)[1]] {
			return s
		}
		return ""
	})
	dir := t.TempDir()
	classPath := filepath.Join(dir, "block.osi")
	require.NoError(t, os.WriteFile(classPath, []byte(text), 0o644))
	dev := spectest.Edit(t, "../../devices/ata/ata.dev")
	path := spectest.Tree(t, classPath, "os-interface/block/block.osi", "devices/ata/ata.dev", dev)
	m, err := model.Load(path)
	require.NoError(t, err)
	return m
}

// TestLayoutReadLearnsCapacity: the ATA Capacity has no buffer of its own;
// the IDENTIFY layout lets it read the data into a scratch buffer and
// return words 60-61.
func TestLayoutReadLearnsCapacity(t *testing.T) {
	m := ataWith(t, "Init", "Capacity")
	res, err := Synthesize(m)
	require.NoError(t, err)
	var capacity *Strategy
	for _, st := range res.Methods {
		if st.Method.Name == "Capacity" {
			capacity = st
		}
	}
	require.NotNil(t, capacity)
	var reads []*Action
	walkBest(capacity.Starts[0], func(n *Node) {
		if n.Best != nil && n.Best.Act.Kind == ActStreamRead {
			reads = append(reads, n.Best.Act)
		}
		if n.Goal {
			r := n.Results["sectors"]
			require.NotNil(t, r)
			assert.True(t, strings.Contains(r.String(), "vIDENTIFY_LBA28_SECTORS"), "the result is the layout field read: %s", r)
		}
	})
	require.NotEmpty(t, reads, "Capacity reads the IDENTIFY data")
	for _, a := range reads {
		require.Len(t, a.Learn, 1)
		assert.Equal(t, "LBA28_SECTORS", a.Learn[0].Field.Name)
		assert.Equal(t, 120, a.Learn[0].Field.Offset)
	}
}

func walkBest(n *Node, f func(*Node)) {
	seen := map[*Node]bool{}
	var walk func(*Node)
	walk = func(x *Node) {
		if seen[x] {
			return
		}
		seen[x] = true
		f(x)
		if x.Best == nil {
			return
		}
		for _, o := range x.Best.Outs {
			if !o.Loop {
				walk(o.Next)
			}
		}
	}
	walk(n)
}
