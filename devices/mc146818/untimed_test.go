package mc146818_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/os-interface/bus"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/sim"
)

// The draft spec testdata/untimed.dev on the simulator: what it says about
// real time, and that the read it makes possible is sound.

const untimedSpec = "testdata/untimed.dev"

func rtcSet(b bus.Bus, addr, v uint8) {
	b.Write8(0, addr)
	b.Write8(1, v)
}

func rtcGet(b bus.Bus, addr uint8) uint8 {
	b.Write8(0, addr)
	return b.Read8(1)
}

func bcd(b uint8) uint64 { return uint64(b>>4)*10 + uint64(b&0x0F) }

// A second that passes while the divider is stopped is lost: the clock no
// longer keeps time (running is false) until the time is set again.
func TestUntimedStoppedDividerLosesTime(t *testing.T) {
	m, err := model.Load(untimedSpec)
	require.NoError(t, err)
	d, err := sim.NewFromModel(m, sim.Options{Seed: 1})
	require.NoError(t, err)
	b := d.Bus()
	rtcSet(b, 0x0A, 0x06) // DV = MHZ4: the divider does not count
	require.NoError(t, d.Input("tick", 0x01, 0x00, 0x00, 1, 1, 1, 0x26))
	rtcSet(b, 0x0A, 0x26) // running again, a second behind
	lost, err := d.Value("lost")
	require.NoError(t, err)
	assert.Equal(t, uint64(1), lost, "a tick with the divider stopped is lost")

	// Setting the time under SET makes the clock right again.
	rtcSet(b, 0x0B, 0x82)
	for _, a := range []uint8{0x09, 0x08, 0x07, 0x04, 0x02, 0x00} {
		rtcSet(b, a, 0x01)
	}
	rtcSet(b, 0x0B, 0x02)
	lost, err = d.Value("lost")
	require.NoError(t, err)
	assert.Zero(t, lost)
	require.NoError(t, d.Err())
	assert.Empty(t, d.Violations())
}

// readUIPSafe is the read the draft spec makes possible, written by hand:
// clear UF, read the time, then UIP, then UF; both 0 prove that no update
// touched the reads. It returns the decoded time (BCD, 24-hour) and the
// attempts it took. ufFirst reads UF before UIP, which is wrong: an update
// may start and end between the two.
func readClock(b bus.Bus, ufFirst bool) ([]uint64, int) {
	for attempt := 1; ; attempt++ {
		rtcGet(b, 0x0C)
		var raw []uint8
		for _, a := range []uint8{0x09, 0x08, 0x07, 0x04, 0x02, 0x00} {
			raw = append(raw, rtcGet(b, a))
		}
		var uip, uf uint8
		if ufFirst {
			uf = rtcGet(b, 0x0C) & 0x10
			uip = rtcGet(b, 0x0A) & 0x80
		} else {
			uip = rtcGet(b, 0x0A) & 0x80
			uf = rtcGet(b, 0x0C) & 0x10
		}
		if uip == 0 && uf == 0 {
			return []uint64{2000 + bcd(raw[0]), bcd(raw[1]), bcd(raw[2]), bcd(raw[3]), bcd(raw[4]), bcd(raw[5])}, attempt
		}
		if attempt == 10 {
			return nil, attempt
		}
	}
}

// On 1000 schedules, with updates announced anywhere (at most once per
// call, as the spec's rare says) and a new second between calls, the read
// never stops the clock, returns the instant of an observed event of its
// own call, and needs at most three attempts (an update under way when the
// call starts, then one announced during it). Some schedules do retry.
func TestUntimedReadIsUIPSafe(t *testing.T) {
	m, err := model.Load(untimedSpec)
	require.NoError(t, err)
	retried := 0
	for seed := uint64(0); seed < 1000; seed++ {
		d := untimedDevice(t, m, seed)
		b := d.Bus()
		for call := range 4 {
			require.NoError(t, d.Input("tick", 0x10+uint64(call), 0x30, 0x12, 3, 0x15, 0x06, 0x27))
			d.NewCall()
			before := len(d.Events())
			got, attempts := readClock(b, false)
			require.LessOrEqual(t, attempts, 3, "seed %d call %d", seed, call)
			if attempts > 1 {
				retried++
			}
			require.True(t, observed(d, before, got), "seed %d call %d: %v was never observed in %v", seed, call, got, d.Events()[before:])
			lost, err := d.Value("lost")
			require.NoError(t, err)
			require.Zero(t, lost, "the read lost time")
		}
		require.NoError(t, d.Err())
		require.Empty(t, d.Violations(), "seed %d", seed)
	}
	t.Logf("%d of 4000 reads retried", retried)
	assert.Positive(t, retried, "no schedule made the read retry: the test proves little")
}

// Reading UF before UIP is not safe, and the spec says so: on some schedule
// an update starts after the UF read and ends before the UIP read, and the
// read returns what the chip showed during the update.
func TestUntimedUFBeforeUIPIsCaught(t *testing.T) {
	m, err := model.Load(untimedSpec)
	require.NoError(t, err)
	for seed := uint64(0); seed < 1000; seed++ {
		d := untimedDevice(t, m, seed)
		require.NoError(t, d.Input("tick", 0x10, 0x30, 0x12, 3, 0x15, 0x06, 0x27))
		d.NewCall()
		if got, _ := readClock(d.Bus(), true); !observed(d, 0, got) {
			return
		}
	}
	t.Fatal("no schedule caught a read that checks UF before UIP")
}

func untimedDevice(t *testing.T, m *model.Model, seed uint64) *sim.Device {
	d, err := sim.NewFromModel(m, sim.Options{Seed: seed, Unfair: true, Init: map[string]uint64{
		"SECONDS.VALUE": 0x58, "MINUTES.VALUE": 0x59, "HOURS.VALUE": 0x23,
		"DAY_OF_MONTH.VALUE": 0x31, "MONTH.VALUE": 0x12, "YEAR.VALUE": 0x26,
	}})
	require.NoError(t, err)
	return d
}

// observed reports whether the device emitted observed with the time got
// since event number from.
func observed(d *sim.Device, from int, got []uint64) bool {
	for _, e := range d.Events()[from:] {
		if e.Name == "observed" && fmt.Sprint(e.Args) == fmt.Sprint(got) {
			return true
		}
	}
	return false
}
