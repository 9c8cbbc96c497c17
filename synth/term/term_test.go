package term

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSliceOfConcatPicksParts(t *testing.T) {
	lo, hi := P("lo", 8), P("hi", 8)
	div := Cat(hi, lo)
	assert.Equal(t, lo.Key(), Sl(div, 7, 0).Key())
	assert.Equal(t, hi.Key(), Sl(div, 15, 8).Key())
	assert.Equal(t, Cat(Sl(hi, 3, 0), Sl(lo, 7, 4)).Key(), Sl(div, 11, 4).Key())
}

func TestConcatOfSlicesRejoins(t *testing.T) {
	x := O("/", 16, C(115200, 32), P("baud", 32))
	assert.Equal(t, x.Key(), Cat(Sl(x, 15, 8), Sl(x, 7, 0)).Key())
	assert.Equal(t, C(0xABCD, 16).Key(), Cat(C(0xAB, 8), C(0xCD, 8)).Key())
}

func TestConstantsFold(t *testing.T) {
	assert.Equal(t, C(7200, 64).Key(), O("/", 0, C(115200, 32), C(16, 8)).Key())
	assert.True(t, O("==", 1, C(3, 2), C(3, 8)).IsTrue())
	assert.Equal(t, C(0x3, 4).Key(), Sl(C(0xF3, 8), 3, 0).Key())
}

func TestMatchOnConstantPicksArm(t *testing.T) {
	m := Match(C(2, 3), 2, []Case{{0, "None", C(0, 2)}, {2, "Even", C(3, 2)}})
	assert.Equal(t, C(3, 2).Key(), m.Key())
}

func TestSubstAndMentions(t *testing.T) {
	u := U("rx", 8)
	x := Cat(Sl(u, 3, 0), C(1, 4))
	assert.True(t, x.Mentions(Unknown, "rx"))
	y := x.Subst(map[string]*T{u.Key(): R("v", 8)})
	assert.False(t, y.Mentions(Unknown, ""))
	assert.True(t, y.Mentions(Read, "v"))
}

func TestRenameReplacesLeavesByIdentity(t *testing.T) {
	u := U("tick.sec", 8)
	u1 := u.Gen(1)
	assert.Same(t, u1, Fresh("tick.sec", 8, 1))
	assert.Same(t, u, u1.Source())
	assert.Equal(t, uint64(1), u1.Generation())
	x := Cat(Sl(u1, 7, 4), P("p", 4))
	y := Match(O("+", 8, u1, C(1, 8)), 2, []Case{{0, "A", C(1, 2)}, {1, "B", Sl(u1, 1, 0)}})
	var r Renaming
	r.Add(u1, u)
	assert.Same(t, Cat(Sl(u, 7, 4), P("p", 4)), x.Rename(&r))
	assert.Same(t, Match(O("+", 8, u, C(1, 8)), 2, []Case{{0, "A", C(1, 2)}, {1, "B", Sl(u, 1, 0)}}), y.Rename(&r))
	z := O("-", 8, P("q", 8), R("v", 8))
	assert.Same(t, z, z.Rename(&r), "a term without the leaf is the same term")
	assert.Same(t, u.Gen(2), u.Gen(2).Rename(&r))
}
