package solve

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/drvsynth/drvsynth/dsl"
)

// Two methods can pose the same game. The block class's WriteSectorsFUA,
// on a disk without FUA, is WriteSectors' sector loop followed by a cache
// flush: its piece is WriteSectors' piece, and its tail is Flush. What
// poses a game is the contract it plays for (up to where the contract
// was written), the values the goal feeds and why, and the idle
// invariant; the device, the closer and the constants are the
// synthesis's. So one synthesis keeps, per contract:
//
//   - the moves of its beliefs (replay.go): they do not depend on the
//     idle invariant, and two methods with one contract make the same
//     moves in the same belief, down to the reasons of their values;
//   - its strategy per idle invariant: the same game has the same
//     optimal strategy, found in the same order.
//
// The method a strategy belongs to (its name, the positions of its
// requires, its sector loop and tail) stays its own.
//
// Every game also shares the projection of states to their skeletons
// (deadend.go), which depends only on the device.
type games struct {
	memos  map[string]*moveMemo
	solved map[string]*Strategy // by contract key and idle invariant
	skel   *skeletons
}

func newGames() *games {
	return &games{memos: map[string]*moveMemo{}, solved: map[string]*Strategy{}, skel: newSkeletons()}
}

// memo is the move memo of the contract with key k (nil without games).
func (gs *games) memo(k string) *moveMemo {
	if gs == nil {
		return nil
	}
	mm := gs.memos[k]
	if mm == nil {
		mm = newMoveMemo()
		gs.memos[k] = mm
	}
	return mm
}

// contractKey describes everything about g that the moves of its game
// depend on: the contract meth states (positions aside, and the method's
// name), whether it starts from reset, the request's terms and the feeds
// with their reasons, which are where the contract's positions show in a
// strategy. A goal that reports element faults keeps the method's name:
// its reads carry the method's faults.
func contractKey(meth *dsl.Method, g *goal) string {
	var b strings.Builder
	encodeDSL(&b, reflect.ValueOf(meth.Params))
	encodeDSL(&b, reflect.ValueOf(meth.Results))
	encodeDSL(&b, reflect.ValueOf(meth.Clauses))
	fmt.Fprintf(&b, "|frames %v|in %q out %q|", g.frames, g.bufIn, g.bufOut)
	if len(g.faults) > 0 {
		fmt.Fprintf(&b, "method %q|", meth.Name)
	}
	for _, k := range sortedKeys(g.params) {
		fmt.Fprintf(&b, "param %q=%s|", k, g.params[k].Key())
	}
	for _, k := range sortedKeys(g.outs) {
		fmt.Fprintf(&b, "out %q|", k)
	}
	cands := func(cs []*Cand) {
		for _, c := range cs {
			fmt.Fprintf(&b, " %s %q %v %v %v %v;", c.T.Key(), c.Why, c.Keep, c.Strict, c.Range, c.Derived)
		}
	}
	for _, k := range sortedKeys(g.feedField) {
		fmt.Fprintf(&b, "field %q:", k)
		cands(g.feedField[k])
	}
	vars := make([]int, 0, len(g.feedVar))
	for v := range g.feedVar {
		vars = append(vars, v)
	}
	sort.Ints(vars)
	for _, v := range vars {
		fmt.Fprintf(&b, "var %d:", v)
		cands(g.feedVar[v])
	}
	return b.String()
}

// startKey names where a game starts: reset, or the idle invariant with
// these keys (which, for a method held to it, is also where it ends).
//
// A grown invariant is a new game even when its new states differ from
// old ones only in a carried variable the contract never reads (the ATA
// disk's dirty, after a write): the start belief holds them, and what an
// unforced move (write_back) makes of them, marked as failures; and
// beliefs that differ only there stay apart. On the ATA disk the larger
// WriteSectors game mirrors the smaller one belief for belief, but on
// vblk it has more beliefs than the smaller one (1511 against 1503), so
// no key that forgets such variables names one game.
func startKey(reset bool, idle []string) string {
	if reset {
		return "reset"
	}
	return strconv.Quote(strings.Join(idle, "\x00"))
}

var posType = reflect.TypeOf(dsl.Pos{})

// encodeDSL writes the syntax tree under v without its positions.
func encodeDSL(b *strings.Builder, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("nil;")
			return
		}
		encodeDSL(b, v.Elem())
	case reflect.Struct:
		if v.Type() == posType {
			return
		}
		b.WriteString("{")
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				encodeDSL(b, v.Field(i))
			}
		}
		b.WriteString("}")
	case reflect.Slice, reflect.Array:
		fmt.Fprintf(b, "[%d:", v.Len())
		for i := 0; i < v.Len(); i++ {
			encodeDSL(b, v.Index(i))
		}
		b.WriteString("]")
	case reflect.String:
		b.WriteString(strconv.Quote(v.String()))
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		b.WriteString("map[")
		for _, k := range keys {
			encodeDSL(b, k)
			encodeDSL(b, v.MapIndex(k))
		}
		b.WriteString("]")
	default:
		fmt.Fprintf(b, "%v;", v.Interface())
	}
}
