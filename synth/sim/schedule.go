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
// depth bound, so that the search can move to the next sequence.
type explorer struct {
	prefix  []int
	depth   int // 0: no limit
	choices []int
	arity   []int
	broken  bool // the scenario did not replay the same way
}

func (e *explorer) Choose(n int, canStop bool) int {
	i := len(e.choices)
	if e.depth > 0 && i >= e.depth {
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

// Bound limits an exhaustive search. Choice 0 at every point is the lazy
// default (the device does nothing more after an access; a wait takes the
// first enabled transition); every other choice is a deviation.
type Bound struct {
	// Depth enumerates the first Depth choice points of a run; past them
	// the device is lazy. 0: every choice point.
	Depth int
	// Deviations allows at most this many non-default choices per
	// schedule, anywhere in the run (context bounding: most schedule bugs
	// need only a few unusual device moves). 0: no limit.
	Deviations int
	// MaxSchedules stops the search after this many runs (0: no limit).
	MaxSchedules int
}

// ExploreStats describes an exhaustive search.
type ExploreStats struct {
	// Schedules is the number of choice sequences run.
	Schedules int
	// Truncated counts the runs that reached the depth bound: past it the
	// device only moved lazily.
	Truncated int
	// Complete is false when MaxSchedules ended the search early.
	Complete bool
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

// Explore runs scenario once for every sequence of the device's choices at
// its first depth choice points (depth-first), each time on a fresh device.
// It is ExploreBounded with Bound{Depth: depth}.
func Explore(m *model.Model, opts Options, depth int, scenario func(*Device) error) (ExploreStats, error) {
	return ExploreBounded(m, opts, Bound{Depth: depth}, scenario)
}

// ExploreBounded runs scenario once for every schedule within bound, each
// time on a fresh device. A run fails when scenario returns an error, the
// driver broke a rule, or the simulator hit an error; the search stops at
// the first failure and returns it as a *ScheduleError. The scenario must
// be deterministic apart from the device's choices (opts.Schedule is
// replaced; opts.Seed still seeds data).
func ExploreBounded(m *model.Model, opts Options, bound Bound, scenario func(*Device) error) (ExploreStats, error) {
	if bound.Depth <= 0 && bound.Deviations <= 0 {
		return ExploreStats{}, fmt.Errorf("sim: an exhaustive search needs a depth or a deviation bound")
	}
	stats := ExploreStats{Complete: true}
	var prefix []int
	for {
		if bound.MaxSchedules > 0 && stats.Schedules >= bound.MaxSchedules {
			stats.Complete = false
			return stats, nil
		}
		ex := &explorer{prefix: prefix, depth: bound.Depth}
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
		if bound.Depth > 0 && len(ex.choices) >= bound.Depth {
			stats.Truncated++
		}
		// Next sequence: bump the deepest choice that has options left and
		// stays within the deviation bound; later choices restart at 0.
		dev := make([]int, len(ex.choices)+1) // deviations before i
		for i, c := range ex.choices {
			dev[i+1] = dev[i]
			if c != 0 {
				dev[i+1]++
			}
		}
		i := len(ex.choices) - 1
		for ; i >= 0; i-- {
			if ex.choices[i]+1 < ex.arity[i] && (bound.Deviations <= 0 || dev[i]+1 <= bound.Deviations) {
				break
			}
		}
		if i < 0 {
			return stats, nil
		}
		prefix = append(append([]int(nil), ex.choices[:i]...), ex.choices[i]+1)
	}
}
