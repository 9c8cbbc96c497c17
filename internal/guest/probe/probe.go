// Package probe runs scripts of raw register accesses on any bus: in the
// guest on QEMU's device models (os-interface/bus/portio), on the host on
// the simulator of a device spec (synth/sim). The same script on both, read
// for read, is how disagreements between QEMU, the spec and the datasheet
// are found (docs/qemu.md).
//
// A script is text, one access per line, "//" comments allowed:
//
//	r 5              read the 8-bit register at offset 5
//	r 5 0x9f         the same, comparing only the bits of the mask 0x9f
//	                 (for bits that change by themselves, e.g. a clock's)
//	r16 0            read 16 bits
//	w 3 0x80         write 0x80 to offset 3
//	r ctl+0          offset 0 of region ctl
//	poll 7 0x80 0    read offset 7 until (value & 0x80) == 0 (at most 100000 reads)
//	settle           let the device run: the guest sleeps 20 ms, the
//	                 simulator takes transitions until none is enabled
//	stream 0 512     read 512 bytes from the data port at offset 0, 16 bits at a time
//
// Each read, poll and stream produces one Observation, in order; each
// carries the script line and its comment so a report reads on its own.
package probe

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/drvsynth/drvsynth/os-interface/bus"
)

// Op is the kind of a step.
type Op uint8

const (
	Read Op = iota
	Write
	Poll
	Settle
	Stream
)

// Step is one line of a script.
type Step struct {
	Op     Op
	Region string // "" is the device's default region
	Off    uint32
	Width  int    // bytes per access: 1 or 2
	Value  uint64 // Write: the value; Poll: the mask; Stream: the byte count
	Mask   uint64 // Read: the bits that are compared (all by default)
	Want   uint64 // Poll: the value wanted under the mask
	Line   int    // 1-based line in the script
	Text   string // the line as written, comment included
}

// Script is a parsed script.
type Script struct {
	Name  string
	Steps []Step
}

// Parse reads a script; errors name the line.
func Parse(name, src string) (*Script, error) {
	s := &Script{Name: name}
	for i, raw := range strings.Split(src, "\n") {
		code, _, _ := strings.Cut(raw, "//")
		f := strings.Fields(code)
		if len(f) == 0 {
			continue
		}
		st := Step{Line: i + 1, Text: strings.TrimSpace(raw), Width: 1}
		args := f[1:]
		var want int
		switch f[0] {
		case "r":
			st.Op, want = Read, 1
		case "r16":
			st.Op, st.Width, want = Read, 2, 1
		case "w":
			st.Op, want = Write, 2
		case "w16":
			st.Op, st.Width, want = Write, 2, 2
		case "poll":
			st.Op, want = Poll, 3
		case "settle":
			st.Op, want = Settle, 0
		case "stream":
			st.Op, st.Width, want = Stream, 2, 2
		default:
			return nil, fmt.Errorf("%s:%d: unknown step %q (want r, r16, w, w16, poll, settle or stream)", name, i+1, f[0])
		}
		if st.Op == Read && len(args) == 2 {
			want = 2 // with a mask
		}
		if len(args) != want {
			return nil, fmt.Errorf("%s:%d: %s takes %d operands, got %d", name, i+1, f[0], want, len(args))
		}
		if want > 0 {
			reg, off, ok := strings.Cut(args[0], "+")
			if !ok {
				reg, off = "", args[0]
			}
			o, err := strconv.ParseUint(off, 0, 32)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: offset %q: %v", name, i+1, args[0], err)
			}
			st.Region, st.Off = reg, uint32(o)
		}
		nums := make([]uint64, 0, 2)
		for _, a := range args[min(1, len(args)):] {
			v, err := strconv.ParseUint(a, 0, 64)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %q is not a number", name, i+1, a)
			}
			nums = append(nums, v)
		}
		st.Mask = 1<<(8*st.Width) - 1
		switch st.Op {
		case Read:
			if len(nums) == 1 {
				st.Mask = nums[0]
			}
		case Write, Stream:
			st.Value = nums[0]
		case Poll:
			st.Value, st.Want = nums[0], nums[1]
		}
		if st.Op == Write && st.Value>>(8*st.Width) != 0 {
			return nil, fmt.Errorf("%s:%d: %#x does not fit %d bits", name, i+1, st.Value, 8*st.Width)
		}
		if st.Op == Stream && (st.Value == 0 || st.Value%2 != 0) {
			return nil, fmt.Errorf("%s:%d: a stream moves a positive, even number of bytes", name, i+1)
		}
		s.Steps = append(s.Steps, st)
	}
	return s, nil
}

// MustParse is Parse for the scripts compiled into this package.
func MustParse(name, src string) *Script {
	s, err := Parse(name, src)
	if err != nil {
		panic(err)
	}
	return s
}

// Observation is what one read, poll or stream saw.
type Observation struct {
	Line  int    `json:"line"`
	Text  string `json:"text"`
	Value uint64 `json:"value"`
	// Polls: how many reads it took (0 when the poll gave up).
	Reads int `json:"reads,omitempty"`
	// Streams: the bytes read.
	Bytes []byte `json:"bytes,omitempty"`
}

// Target is where a script runs.
type Target struct {
	// Regions maps region names ("" is the default) to buses.
	Regions map[string]bus.Bus
	// Settle lets the device run by itself for a while.
	Settle func()
	// Pause is called between two reads of a poll.
	Pause func(iteration int)
	// After, if set, is called after each step (the simulator's side uses
	// it to tie the spec violations it records to the step that caused them).
	After func(Step)
}

// MaxPolls bounds a poll step.
const MaxPolls = 100000

// Run executes the script and returns its observations.
func (s *Script) Run(t Target) ([]Observation, error) {
	var obs []Observation
	for _, st := range s.Steps {
		b := t.Regions[st.Region]
		if b == nil && st.Op != Settle {
			return obs, fmt.Errorf("%s:%d: no region %q on this target", s.Name, st.Line, st.Region)
		}
		o := Observation{Line: st.Line, Text: st.Text}
		switch st.Op {
		case Read:
			o.Value = read(b, st) & st.Mask
		case Write:
			if st.Width == 2 {
				b.Write16(st.Off, uint16(st.Value))
			} else {
				b.Write8(st.Off, uint8(st.Value))
			}
		case Settle:
			t.Settle()
		case Poll:
			for i := 1; i <= MaxPolls; i++ {
				o.Value = read(b, st)
				if o.Value&st.Value == st.Want {
					o.Reads = i
					break
				}
				t.Pause(i)
			}
		case Stream:
			o.Bytes = make([]byte, st.Value)
			b.ReadStream(st.Off, st.Width, o.Bytes)
		}
		if t.After != nil {
			t.After(st)
		}
		if st.Op != Write && st.Op != Settle {
			obs = append(obs, o)
		}
	}
	return obs, nil
}

func read(b bus.Bus, st Step) uint64 {
	if st.Width == 2 {
		return uint64(b.Read16(st.Off))
	}
	return uint64(b.Read8(st.Off))
}
