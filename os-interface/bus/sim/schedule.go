package sim

import (
	"fmt"
	"math/rand/v2"

	"github.com/drvsynth/drvsynth/synth/model"
)

// Schedule resolves the device's nondeterminism. All of it goes through one
// question, so a random run and an exhaustive search differ only in who
// answers.
type Schedule interface {
	// Choose picks one of n >= 2 options. When canStop is true (after a
	// driver access) option 0 means "the device does nothing more now" and
	// option i > 0 takes the i-th enabled transition; when false (the
	// driver pauses or waits, so time passes) option i takes the (i+1)-th
	// enabled transition.
	Choose(n int, canStop bool) int
}

// Random answers with a seeded PRNG. After an access the device stops with
// probability StopProb at every point, so it takes a geometric number of
// steps; each enabled transition is equally likely. Every enabled fair
// transition thus fires with positive probability at every access: none is
// starved.
type Random struct {
	StopProb float64
	r        *rand.Rand
}

// NewRandom is a Random schedule seeded with seed, stopping with
// probability 1/2.
func NewRandom(seed uint64) *Random {
	return &Random{StopProb: 0.5, r: rand.New(rand.NewPCG(seed, 0x5c4ed))}
}

// Choose implements Schedule.
func (s *Random) Choose(n int, canStop bool) int {
	if !canStop {
		return s.r.IntN(n)
	}
	if s.r.Float64() < s.StopProb {
		return 0
	}
	return 1 + s.r.IntN(n-1)
}

// Lazy is the schedule under which the device moves only when it must: it
// never steps after an access, and in a wait it takes the first enabled
// transition. It shows what a driver does when the hardware is as slow as
// the spec allows.
type Lazy struct{}

// Choose implements Schedule.
func (Lazy) Choose(int, bool) int { return 0 }

// Replay answers from a recorded choice sequence (a failing schedule of
// Explore), then with 0: the lazy default.
type Replay struct {
	Choices []int
	next    int
}

// Choose implements Schedule.
func (r *Replay) Choose(n int, canStop bool) int {
	if r.next < len(r.Choices) {
		c := r.Choices[r.next]
		r.next++
		if c < n {
			return c
		}
	}
	return 0
}

// explorer is the Schedule of one Explore run: it replays a prefix of
// choices, then takes option 0 and records every choice point up to the
// bound, so that the search can move to the next sequence.
type explorer struct {
	prefix  []int
	bound   int
	choices []int
	arity   []int
	broken  bool // the scenario did not replay the same way
}

func (e *explorer) Choose(n int, canStop bool) int {
	i := len(e.choices)
	if i >= e.bound {
		return 0
	}
	c := 0
	if i < len(e.prefix) {
		c = e.prefix[i]
		if c >= n {
			e.broken = true
			c = 0
		}
	}
	e.choices = append(e.choices, c)
	e.arity = append(e.arity, n)
	return c
}

// ExploreStats describes an exhaustive search.
type ExploreStats struct {
	// Schedules is the number of choice sequences run.
	Schedules int
	// Truncated counts the runs that reached the bound: past it the device
	// only moves lazily, so longer schedules were not explored.
	Truncated int
}

// ScheduleError is a schedule under which the scenario failed. Replaying
// Choices (Options.Schedule = &Replay{Choices: ...}) reproduces it.
type ScheduleError struct {
	Choices []int
	Err     error
}

func (e *ScheduleError) Error() string {
	return fmt.Sprintf("schedule %v: %v", e.Choices, e.Err)
}

func (e *ScheduleError) Unwrap() error { return e.Err }

// Explore runs scenario once for every sequence of the device's choices up
// to bound choice points (depth-first), each time on a fresh device. A run
// fails when scenario returns an error, the driver broke a rule, or the
// simulator hit an error; Explore stops at the first failure and returns it
// as a *ScheduleError. The scenario must be deterministic apart from the
// device's choices (opts.Schedule is replaced; opts.Seed still seeds data).
func Explore(m *model.Model, opts Options, bound int, scenario func(*Device) error) (ExploreStats, error) {
	var stats ExploreStats
	var prefix []int
	for {
		ex := &explorer{prefix: prefix, bound: bound}
		o := opts
		o.Schedule = ex
		d, err := NewFromModel(m, o)
		if err != nil {
			return stats, err
		}
		stats.Schedules++
		err = scenario(d)
		if err == nil {
			err = d.Err()
		}
		if err == nil {
			if v := d.Violations(); len(v) > 0 {
				err = fmt.Errorf("%d violations, first: %s", len(v), v[0])
			}
		}
		if err == nil && ex.broken {
			err = fmt.Errorf("the scenario does not replay the same choice points: it must be deterministic")
		}
		if err != nil {
			return stats, &ScheduleError{Choices: ex.choices, Err: err}
		}
		if len(ex.choices) >= bound {
			stats.Truncated++
		}
		// Next sequence: bump the deepest choice that has options left.
		i := len(ex.choices) - 1
		for i >= 0 && ex.choices[i]+1 >= ex.arity[i] {
			i--
		}
		if i < 0 {
			return stats, nil
		}
		prefix = append(append([]int(nil), ex.choices[:i]...), ex.choices[i]+1)
	}
}
