package generated_test

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/drvsynth/drvsynth/generated/ata"
	"github.com/drvsynth/drvsynth/generated/mc146818"
	"github.com/drvsynth/drvsynth/generated/pl011"
	"github.com/drvsynth/drvsynth/generated/uart16550"
	"github.com/drvsynth/drvsynth/generated/vblk"
	"github.com/drvsynth/drvsynth/os-interface/block"
	"github.com/drvsynth/drvsynth/os-interface/driver"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/sim"
)

// drivers builds each shipped driver on a bus; every spec in drivers.txt
// must have one here.
var drivers = map[string]func(*sim.Device) any{
	"devices/pl011/pl011.dev":         func(d *sim.Device) any { return pl011.New(d.Bus()) },
	"devices/uart16550/uart16550.dev": func(d *sim.Device) any { return uart16550.New(d.Bus()) },
	"devices/vblk/vblk.dev":           func(d *sim.Device) any { return vblk.New(d.Bus()) },
	"devices/ata/ata.dev":             func(d *sim.Device) any { return ata.New(d.Bus(), d.Region("ctl")) },
	"devices/mc146818/mc146818.dev":   func(d *sim.Device) any { return mc146818.New(d.Bus()) },
}

// TestEveryArgument calls every method of every shipped driver, on the
// simulator of its spec, with every value of every enum parameter and one
// past each end, and with buffers of sizes the class refuses. No call may
// panic; a value outside its enum, and a buffer the class or the device
// cannot take, must be driver.ErrInvalidArgument.
func TestEveryArgument(t *testing.T) {
	list, err := os.ReadFile("drivers.txt")
	require.NoError(t, err)
	for _, line := range strings.Split(string(list), "\n") {
		spec := strings.TrimSpace(line)
		if spec == "" || strings.HasPrefix(spec, "#") {
			continue
		}
		newDriver := drivers[spec]
		require.NotNil(t, newDriver, "%s is in drivers.txt but not in this test", spec)
		t.Run(spec, func(t *testing.T) {
			m, err := model.Load("../" + spec)
			require.NoError(t, err)
			dev, err := sim.NewFromModel(m, sim.Options{Seed: 1})
			require.NoError(t, err)
			d := newDriver(dev)
			v := reflect.ValueOf(d)
			ctx := context.Background()
			init := v.MethodByName("Init")
			require.True(t, init.IsValid())
			require.Nil(t, init.Call([]reflect.Value{reflect.ValueOf(ctx)})[0].Interface())
			checkArguments(t, v)
		})
	}
}

func checkArguments(t *testing.T, d reflect.Value) {
	typ := d.Type()
	maxBytes := -1
	if bd, ok := d.Interface().(block.Device); ok {
		maxBytes = bd.MaxSectors() * block.SectorSize
	}
	for i := 0; i < typ.NumMethod(); i++ {
		meth := typ.Method(i)
		mt := meth.Type
		if mt.NumIn() < 2 || mt.In(1) != reflect.TypeFor[context.Context]() {
			continue
		}
		for _, c := range argumentCases(mt, maxBytes) {
			t.Run(meth.Name+"/"+c.name, func(t *testing.T) {
				// A wait for input ends with the context: nothing arrives.
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
				defer cancel()
				args := append([]reflect.Value{d, reflect.ValueOf(ctx)}, c.args...)
				var out []reflect.Value
				require.NotPanics(t, func() { out = meth.Func.Call(args) })
				err, _ := out[len(out)-1].Interface().(error)
				// Errors other than ErrInvalidArgument (a wait that the
				// context ended, a fault the simulator chose) are the
				// device's business, not the arguments'.
				switch {
				case c.anyErr:
				case c.invalid:
					require.ErrorIs(t, err, driver.ErrInvalidArgument)
				case err != nil:
					require.NotErrorIs(t, err, driver.ErrInvalidArgument)
				}
			})
		}
	}
}

type argCase struct {
	name    string
	args    []reflect.Value
	invalid bool // must be ErrInvalidArgument; otherwise must not be
	anyErr  bool // only must not panic
}

// argumentCases lists the calls to try: a base call with valid arguments,
// then each enum parameter swept over its members and one past each end
// (the value below 0 wraps to the type's largest), then each buffer at sizes
// the class refuses.
func argumentCases(mt reflect.Type, maxBytes int) []argCase {
	base := make([]reflect.Value, mt.NumIn()-2)
	for j := range base {
		base[j] = validValue(mt.In(j + 2))
	}
	out := []argCase{{name: "valid", args: base, invalid: false}}
	swept := false
	for j := range base {
		pt := mt.In(j + 2)
		swept = swept || isEnum(pt) || pt.Kind() == reflect.Slice || pt.Kind() == reflect.Uint32
	}
	if len(base) > 0 && !swept {
		// Plain numbers this test does not sweep (the RTC's date, whose
		// zero month is refused): the call only must not panic.
		out[0].anyErr = true
	}
	for j := range base {
		pt := mt.In(j + 2)
		switch {
		case isEnum(pt):
			last := uint64(0)
			for isMember(pt, last+1) {
				last++
			}
			for _, x := range append([]uint64{^uint64(0), last + 1}, seq(last)...) {
				args := append([]reflect.Value(nil), base...)
				args[j] = reflect.New(pt).Elem()
				args[j].SetUint(x)
				out = append(out, argCase{name: fmt.Sprintf("%s=%v", pt.Name(), args[j].Interface()), args: args, invalid: !isMember(pt, x&(1<<(8*pt.Size())-1))})
			}
		case pt.Kind() == reflect.Slice && maxBytes > 0:
			sizes := []int{0, 1, block.SectorSize - 1, block.SectorSize + 1}
			if maxBytes <= 1<<24 {
				// (Past what a test should allocate, the limit is the
				// driver's position check: ATA's 28-bit LBA.)
				sizes = append(sizes, maxBytes+block.SectorSize)
			}
			for _, n := range sizes {
				args := append([]reflect.Value(nil), base...)
				args[j] = reflect.ValueOf(make([]byte, n))
				out = append(out, argCase{name: fmt.Sprintf("len=%d", n), args: args, invalid: true})
			}
		case pt.Kind() == reflect.Uint32:
			for _, x := range []uint64{0, 1, 1<<32 - 1} {
				args := append([]reflect.Value(nil), base...)
				args[j] = reflect.New(pt).Elem()
				args[j].SetUint(x)
				// Whether the device can hold it depends on the device;
				// what matters here is that no value panics.
				out = append(out, argCase{name: fmt.Sprintf("%s=%d", pt.Kind(), x), args: args, anyErr: true})
			}
		}
	}
	return out
}

func seq(last uint64) []uint64 {
	out := make([]uint64, last+1)
	for i := range out {
		out[i] = uint64(i)
	}
	return out
}

// isEnum: a class enum type, a named unsigned integer with a String method.
func isEnum(t reflect.Type) bool {
	_, ok := t.MethodByName("String")
	return ok && t.PkgPath() != "" && t.Kind() >= reflect.Uint8 && t.Kind() <= reflect.Uint64
}

// isMember: the enum's String names x (unknown values print as Type(n)).
func isMember(t reflect.Type, x uint64) bool {
	v := reflect.New(t).Elem()
	v.SetUint(x)
	return !strings.Contains(v.Interface().(fmt.Stringer).String(), "(")
}

func validValue(t reflect.Type) reflect.Value {
	switch {
	case t.Kind() == reflect.Slice:
		return reflect.ValueOf(make([]byte, block.SectorSize))
	case isEnum(t):
		return reflect.Zero(t)
	case t.Kind() == reflect.Uint32:
		return reflect.ValueOf(uint32(9600)).Convert(t)
	}
	return reflect.Zero(t)
}

// fakeVblk is just enough of a vblk for Init and a failing request: every
// command fails with ERRCODE 4. magic is what MAGIC reads.
type fakeVblk struct {
	magic uint32
	regs  map[uint32]uint32
}

func (f *fakeVblk) Read32(off uint32) uint32 {
	switch off {
	case uint32(vblk.RegMAGIC):
		return f.magic
	case uint32(vblk.RegMAXSEC):
		return vblk.MAX_SECTORS
	}
	return f.regs[off]
}
func (f *fakeVblk) Write32(off uint32, v uint32) {
	f.regs[off] = v
	if off == uint32(vblk.RegCMD) {
		f.regs[uint32(vblk.RegSTATUS)] = uint32(vblk.STATUS_ERR)
		f.regs[uint32(vblk.RegERRCODE)] = 4
	}
}
func (f *fakeVblk) Read8(off uint32) uint8                        { return uint8(f.Read32(off)) }
func (f *fakeVblk) Read16(off uint32) uint16                      { return uint16(f.Read32(off)) }
func (f *fakeVblk) Write8(off uint32, v uint8)                    { f.Write32(off, uint32(v)) }
func (f *fakeVblk) Write16(off uint32, v uint16)                  { f.Write32(off, uint32(v)) }
func (f *fakeVblk) ReadStream(off uint32, width int, buf []byte)  {}
func (f *fakeVblk) WriteStream(off uint32, width int, buf []byte) {}

// TestVblkInitChecksMagic: a device whose MAGIC is not the spec's
// VBLK_MAGIC is not a vblk.
func TestVblkInitChecksMagic(t *testing.T) {
	ctx := context.Background()
	err := vblk.New(&fakeVblk{magic: 0x12345678, regs: map[uint32]uint32{}}).Init(ctx)
	require.ErrorIs(t, err, driver.ErrUnexpected)
	require.ErrorContains(t, err, "MAGIC reads 0x12345678, not VBLK_MAGIC")
	require.NoError(t, vblk.New(&fakeVblk{magic: vblk.VBLK_MAGIC, regs: map[uint32]uint32{}}).Init(ctx))
}

// TestVblkFaultCarriesErrcode: the spec's fault message names ERRCODE as
// the reason, so the driver reads it into the error.
func TestVblkFaultCarriesErrcode(t *testing.T) {
	d := vblk.New(&fakeVblk{magic: vblk.VBLK_MAGIC, regs: map[uint32]uint32{}})
	ctx := context.Background()
	require.NoError(t, d.Init(ctx))
	err := d.Flush(ctx)
	var de *driver.DeviceError
	require.ErrorAs(t, err, &de)
	require.Equal(t, "REQUEST_FAILED", de.Fault)
	require.Equal(t, "ERRCODE", de.Reason)
	require.Equal(t, uint64(4), de.Code)
	require.Equal(t, "IO", de.CodeName, "the spec names ERRCODE's values, so the driver decodes them")
	require.Equal(t, uint64(vblk.STATUS_ERR), de.Status)
}

// TestVblkRefusesWhatTheWindowCannotHold: a request larger than the data
// window would be cut by the bus; the driver refuses it, and MaxSectors
// says how much fits.
func TestVblkRefusesWhatTheWindowCannotHold(t *testing.T) {
	d := vblk.New(&fakeVblk{magic: vblk.VBLK_MAGIC, regs: map[uint32]uint32{}})
	require.Equal(t, vblk.StreamDATASize/block.SectorSize, d.MaxSectors())
	big := make([]byte, (d.MaxSectors()+1)*block.SectorSize)
	require.ErrorIs(t, d.WriteSectors(context.Background(), 0, big), driver.ErrInvalidArgument)
}
