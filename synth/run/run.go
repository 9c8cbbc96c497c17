// Package run executes a synthesized strategy directly against a bus,
// without generating and compiling Go code. Tests use it to try many spec
// variants against the simulator; the generated driver is the same
// strategy written out as Go.
package run

import (
	"context"
	"errors"
	"fmt"

	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/os-interface/driver"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/solve"
	"github.com/drvsynth/drvsynth/synth/term"
)

// ErrPollLimit is returned when a poll loop exceeds Machine.PollLimit.
var ErrPollLimit = errors.New("poll limit reached")

// FaultError is a method ending in a device fault the strategy reports.
type FaultError struct{ Fault *model.Fault }

func (e *FaultError) Error() string { return "device fault " + e.Fault.Name }

// Machine runs strategies of one synthesized device on its buses (one per
// region, in region order).
type Machine struct {
	args  Args // of the call in progress
	Res   *solve.Result
	Buses []bus.Bus
	// PollLimit bounds every poll loop (0: 1<<20 reads).
	PollLimit int
}

// Args are the values of a method call: scalars by parameter name, and
// buffers (slice parameters) by name.
type Args struct {
	Values  map[string]uint64
	Buffers map[string][]byte
}

// Call runs method name once (for a for-each method: over every element of
// its slice parameter) and returns the values bound to its results.
func (mc *Machine) Call(ctx context.Context, name string, args Args) (map[string]uint64, error) {
	var st *solve.Strategy
	for _, s := range mc.Res.Methods {
		if s.Method.Name == name {
			st = s
		}
	}
	if st == nil {
		return nil, fmt.Errorf("no method %s", name)
	}
	mc.args = args
	if sl := st.Sectors; sl != nil {
		return nil, mc.sectors(ctx, st, sl, args)
	}
	if st.Elem == nil {
		vars := map[string]uint64{}
		for k, v := range args.Values {
			vars["p:"+k] = v
		}
		goal, err := mc.walk(ctx, st.Starts[0], vars, args)
		if err != nil {
			return nil, err
		}
		out := map[string]uint64{}
		for k, t := range goal.Results {
			v, err := mc.eval(t, vars)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	}
	buf := args.Buffers[st.Elem.Over.Name]
	state := 0
	for i := range buf {
		vars := map[string]uint64{}
		for k, v := range args.Values {
			vars["p:"+k] = v
		}
		vars["p:"+st.Elem.Var] = uint64(buf[i])
		goal, err := mc.walk(ctx, st.StartOf(state), vars, args)
		if err != nil {
			return nil, err
		}
		if t, ok := goal.Results[st.Elem.Var]; ok {
			v, err := mc.eval(t, vars)
			if err != nil {
				return nil, err
			}
			buf[i] = byte(v)
		}
		state = st.NextOf(state, goal)
	}
	return nil, nil
}

// sectors runs a sector loop's strategy once per piece of the buffer, with
// the position parameter advanced by one each time.
func (mc *Machine) sectors(ctx context.Context, st *solve.Strategy, sl *solve.SectorLoop, args Args) error {
	buf := args.Buffers[sl.Buf]
	if len(buf) == 0 || len(buf)%sl.Size != 0 {
		return fmt.Errorf("%s needs a buffer of whole %d-byte pieces, not %d bytes", st.Method.Name, sl.Size, len(buf))
	}
	if sl.Bits > 0 && sl.Bits < 64 {
		limit, pos, n := uint64(1)<<uint(sl.Bits), args.Values[sl.Pos], uint64(len(buf)/sl.Size)
		if pos >= limit || n > limit-pos {
			return fmt.Errorf("%w: %s: %s %d and %d pieces reach past 1<<%d", driver.ErrInvalidArgument, st.Method.Name, sl.Pos, pos, n, sl.Bits)
		}
	}
	defer func() { mc.args = args }()
	for i := 0; i < len(buf)/sl.Size; i++ {
		piece := Args{Values: map[string]uint64{}, Buffers: map[string][]byte{}}
		for k, v := range args.Values {
			piece.Values[k] = v
		}
		for k, v := range args.Buffers {
			piece.Buffers[k] = v
		}
		piece.Values[sl.Pos] += uint64(i)
		piece.Buffers[sl.Buf] = buf[i*sl.Size : (i+1)*sl.Size]
		mc.args = piece
		vars := map[string]uint64{}
		for k, v := range piece.Values {
			vars["p:"+k] = v
		}
		if _, err := mc.walk(ctx, st.Starts[0], vars, piece); err != nil {
			return err
		}
	}
	if sl.Tail != nil {
		// After the last piece, what the contract lets hold once at the end.
		if _, err := mc.walk(ctx, sl.Tail.Starts[0], map[string]uint64{}, args); err != nil {
			return err
		}
	}
	return nil
}

func (mc *Machine) walk(ctx context.Context, n *solve.Node, vars map[string]uint64, args Args) (*solve.Node, error) {
	for {
		switch {
		case n.Goal:
			return n, nil
		case n.Fault != nil:
			return nil, &FaultError{Fault: n.Fault}
		case n.Best == nil:
			return nil, fmt.Errorf("belief %d has no strategy", n.ID)
		}
		e := n.Best
		a := e.Act
		switch a.Kind {
		case solve.ActWrite:
			var v uint64
			for i, c := range a.Vals {
				x, err := mc.eval(c.T, vars)
				if err != nil {
					return nil, err
				}
				f := a.Reg.Fields[i]
				v |= (x & (1<<uint(f.Width) - 1)) << uint(f.Lo)
			}
			write(mc.Buses[a.Reg.Region], a.Reg, v)
			n = e.Outs[0].Next
		case solve.ActStreamWrite:
			mc.Buses[a.Stream.Region].WriteStream(a.Stream.Offset, a.Stream.Width/8, args.Buffers[a.Buf])
			n = e.Outs[0].Next
		case solve.ActStreamRead:
			buf := args.Buffers[a.Buf]
			if len(a.Learn) > 0 {
				buf = make([]byte, a.Stream.Size) // a layout read's scratch buffer
			}
			mc.Buses[a.Stream.Region].ReadStream(a.Stream.Offset, a.Stream.Width/8, buf)
			for _, lr := range a.Learn {
				vars["r:"+lr.Var] = layoutValue(buf, lr.Field)
			}
			n = e.Outs[0].Next
		case solve.ActRead:
			next, err := mc.read(ctx, e, vars)
			if err != nil {
				return nil, err
			}
			n = next
		}
	}
}

func (mc *Machine) read(ctx context.Context, e *solve.Edge, vars map[string]uint64) (*solve.Node, error) {
	a := e.Act
	limit := mc.PollLimit
	if limit == 0 {
		limit = 1 << 20
	}
	b := mc.Buses[a.Reg.Region]
	for i := 0; ; i++ {
		v := read(b, a.Reg)
		vars["r:"+a.ReadVar] = v
		for _, o := range e.Outs {
			if !matches(a, o.Obs, v) {
				continue
			}
			if !o.Loop {
				return o.Next, nil
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if i >= limit {
				return nil, fmt.Errorf("%w polling %s", ErrPollLimit, a.Reg.Name)
			}
			if p, ok := b.(bus.Poller); ok {
				p.Pause(i)
			}
			goto again
		}
		return nil, fmt.Errorf("%s read %#x, which the spec says cannot happen", a.Reg.Name, v)
	again:
	}
}

// layoutValue decodes layout field f from the bytes of one transfer.
func layoutValue(buf []byte, f *model.LayoutField) uint64 {
	var v uint64
	for i := 0; i < f.Bytes; i++ {
		b := buf[f.Offset+i] // least significant first
		if f.BigEndian {
			b = buf[f.Offset+f.Bytes-1-i]
		}
		v |= uint64(b) << (8 * uint(i))
	}
	return v
}

func matches(a *solve.Action, obs []uint64, v uint64) bool {
	for i, fi := range a.Observe {
		f := a.Reg.Fields[fi]
		if (v>>uint(f.Lo))&(1<<uint(f.Width)-1) != obs[i] {
			return false
		}
	}
	return true
}

func read(b bus.Bus, r *model.Reg) uint64 {
	switch {
	case r.Width <= 8:
		return uint64(b.Read8(r.Offset))
	case r.Width <= 16:
		return uint64(b.Read16(r.Offset))
	}
	return uint64(b.Read32(r.Offset))
}

func write(b bus.Bus, r *model.Reg, v uint64) {
	switch {
	case r.Width <= 8:
		b.Write8(r.Offset, uint8(v))
	case r.Width <= 16:
		b.Write16(r.Offset, uint16(v))
	default:
		b.Write32(r.Offset, uint32(v))
	}
}

// eval computes a term from the call's parameters and the values read.
func (mc *Machine) eval(t *term.T, vars map[string]uint64) (uint64, error) {
	mask := func(v uint64, w int) uint64 {
		if w <= 0 || w >= 64 {
			return v
		}
		return v & (1<<uint(w) - 1)
	}
	switch t.Kind {
	case term.Const:
		return t.Val, nil
	case term.Param:
		v, ok := vars["p:"+t.Name]
		if !ok {
			return 0, fmt.Errorf("no value for parameter %s", t.Name)
		}
		return mask(v, t.Width), nil
	case term.Read:
		v, ok := vars["r:"+t.Name]
		if !ok {
			return 0, fmt.Errorf("%s was not read", t.Name)
		}
		return mask(v, t.Width), nil
	case term.Slice:
		x, err := mc.eval(t.Args[0], vars)
		return mask(x>>uint(t.Lo), t.Hi-t.Lo+1), err
	case term.Concat:
		var v uint64
		for _, p := range t.Args {
			x, err := mc.eval(p, vars)
			if err != nil {
				return 0, err
			}
			v = v<<uint(p.Width) | mask(x, p.Width)
		}
		return v, nil
	case term.Op:
		if t.Name == "match" {
			s, err := mc.eval(t.Args[0], vars)
			if err != nil {
				return 0, err
			}
			for _, c := range t.Cases {
				if c.Pattern == s {
					return c.Result.Val, nil
				}
			}
			return 0, fmt.Errorf("no match arm for %d", s)
		}
		if t.Name == "len" && t.Args[0].Kind == term.Param {
			return uint64(len(mc.args.Buffers[t.Args[0].Name])), nil
		}
		if len(t.Args) != 2 {
			return 0, fmt.Errorf("operation %s", t.Name)
		}
		x, err := mc.eval(t.Args[0], vars)
		if err != nil {
			return 0, err
		}
		y, err := mc.eval(t.Args[1], vars)
		if err != nil {
			return 0, err
		}
		var v uint64
		switch t.Name {
		case "+":
			v = x + y
		case "-":
			v = x - y
		case "*":
			v = x * y
		case "/":
			if y == 0 {
				return 0, fmt.Errorf("division by zero")
			}
			v = x / y
		case "%":
			if y == 0 {
				return 0, fmt.Errorf("division by zero")
			}
			v = x % y
		case "&":
			v = x & y
		case "|":
			v = x | y
		case "^":
			v = x ^ y
		case "<<":
			v = x << y
		case ">>":
			v = x >> y
		default:
			return 0, fmt.Errorf("operation %s", t.Name)
		}
		return mask(v, t.Width), nil
	}
	return 0, fmt.Errorf("value %s is not known to the driver", t)
}
