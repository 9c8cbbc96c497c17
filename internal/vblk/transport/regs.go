// Package transport is the vblk device's register file as it lives in a
// shared-memory region, and the small piece of device-side logic that runs
// when the driver touches it (the "trap" of an MMIO exit).
//
// The region is one file mapped by both the driver process (through
// os-interface/bus/shm) and the backend process (internal/vblk/backend):
//
//	0x00000 .. 0x00fff  register page, the driver-visible MMIO registers
//	0x01000 .. 0x10fff  DATA window, 128 sectors of 512 bytes
//	0x11000 .. 0x11fff  control page: doorbell and IRQ futex words, the
//	                    request latched at the doorbell, the state word.
//	                    Written by the doorbell and completion logic on
//	                    both sides; not part of the bus's address space.
//	0x12000 .. 0x12fff  backend page: online, layout, the power-fail line.
//	                    Mapped read-only into a driver process (OpenDriver),
//	                    so a stray store there faults instead of faking a
//	                    power cut or a backend that is not there.
//
// Every register access is an atomic 32-bit load or store. STATUS and
// ERRCODE are two views of one shared state word so that "clear BUSY and set
// ERR with its code" is a single compare-and-swap; reading ERRCODE after
// STATUS shows not-busy therefore never sees a stale code.
package transport

// Register offsets (bytes from the start of the MMIO region).
const (
	RegMagic   = 0x00 // ro, Magic
	RegCapLo   = 0x04 // ro, capacity in sectors, low word
	RegCapHi   = 0x08 // ro, capacity in sectors, high word
	RegMaxSec  = 0x0C // ro, max sectors per request
	RegCtrl    = 0x10 // rw, CtrlEnable
	RegLBALo   = 0x14 // rw
	RegLBAHi   = 0x18 // rw
	RegCount   = 0x1C // rw, sectors, 1..MaxSectors
	RegCmd     = 0x20 // wo, the doorbell
	RegStatus  = 0x24 // ro, Status* bits
	RegErrCode = 0x28 // ro, Err* codes

	DataWindow = 0x1000 // start of the DATA window
)

// Device constants.
const (
	Magic       = 0x6B6C6276 // "vblk" little-endian
	SectorSize  = 512
	MaxSectors  = 128
	DataSize    = MaxSectors * SectorSize
	RegPageSize = 0x1000
	MMIOSize    = DataWindow + DataSize // the bus's address space
	ctlPage     = MMIOSize              // control page
	backPage    = ctlPage + 0x1000      // backend page
	RegionSize  = backPage + 0x1000     // size of the shared file
	CtrlEnable  = 1 << 0
	StatusBusy  = 1 << 0
	StatusErr   = 1 << 1
	StatusReady = 1 << 2
	statusMask  = StatusBusy | StatusErr | StatusReady
	// stateRunning (not visible in STATUS): the backend has claimed the
	// request in flight and is executing it.
	stateRunning = 1 << 3
	errCodeShift = 8
)

// Commands written to RegCmd.
const (
	CmdRead     = 1
	CmdWrite    = 2
	CmdFlush    = 3
	CmdWriteFUA = 4
)

// ErrCode is the value of RegErrCode after a request failed.
type ErrCode uint32

// Error codes.
const (
	ErrNone      ErrCode = 0
	ErrBadCmd    ErrCode = 1
	ErrRange     ErrCode = 2
	ErrBadCount  ErrCode = 3
	ErrIO        ErrCode = 4
	ErrDisabled  ErrCode = 5
	ErrBusy      ErrCode = 6 // cancelled by a second doorbell before it started: nothing was done
	ErrPowerFail ErrCode = 7
)

var errNames = [...]string{"NONE", "BADCMD", "RANGE", "BADCOUNT", "IO", "DISABLED", "BUSY", "POWERFAIL"}

func (e ErrCode) String() string {
	if int(e) < len(errNames) {
		return errNames[e]
	}
	return "ERRCODE?"
}

// Offsets of the control words (from the start of the region).
const (
	ctlDoorbell   = ctlPage + 0  // incremented by every accepted doorbell; backend futex-waits on it
	ctlIRQ        = ctlPage + 8  // interrupt line: 1 raised, 0 low; driver futex-waits on it
	ctlDrvWait    = ctlPage + 12 // number of driver threads sleeping on ctlIRQ
	ctlLatchCmd   = ctlPage + 16 // request latched at the doorbell
	ctlLatchLBALo = ctlPage + 20
	ctlLatchLBAHi = ctlPage + 24
	ctlLatchCount = ctlPage + 28
	ctlState      = ctlPage + 36 // STATUS bits | ERRCODE<<8 | stateRunning, the one state word
	ctlLatchCtrl  = ctlPage + 48 // CTRL as it was when the doorbell rang
	ctlDropped    = ctlPage + 52 // doorbells ignored because the backend was executing a request
	ctlDrvSaw     = ctlPage + 56 // 1 once the driver has read STATUS without BUSY since the last doorbell
	ctlDrvSleeps  = ctlPage + 60 // driver sleeps in FUTEX_WAIT on ctlIRQ (see Wakeups)
	ctlBackWakes  = ctlPage + 64 // doorbells that found the backend asleep and woke it

	// Backend page: only the backend (and a harness) writes these.
	bckLayout    = backPage + 0  // layoutVersion once the backend has formatted the region
	bckOnline    = backPage + 4  // 1 while the backend is powered with its image open
	bckBackWait  = backPage + 8  // 1 while the backend sleeps in FUTEX_WAIT on ctlDoorbell
	bckPowerFlag = backPage + 12 // 1 once the power has been cut (futex word)
	bckPowerCut  = backPage + 16 // UnixNano of the cut (64-bit)
	bckPowerRise = backPage + 24 // UnixNano at which the harness raised the line (64-bit)
	bckSleeps    = backPage + 32 // backend sleeps in FUTEX_WAIT on ctlDoorbell (see Wakeups)
	bckDrvWakes  = backPage + 36 // completions that found a driver thread asleep and woke it
	bckMoves     = backPage + 40 // the backend's doorbell thread left the driver's CPU (see Wakeups)
)

// layoutVersion changes whenever the layout above does.
const layoutVersion = 0x76626C06
