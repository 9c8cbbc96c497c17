package probe

// Range is a span of ports on the PC where a region sits.
type Range struct {
	Base, Size uint16
}

// Device is a device under probe: its spec, where QEMU's model of it sits
// on the PC, and the script.
type Device struct {
	Name string
	// Spec is the device spec, relative to the repository root.
	Spec string
	// Regions places the spec's regions on the PC's port space.
	Regions map[string]Range
	Script  *Script
}

// Devices are the probes, by name.
var Devices = map[string]*Device{
	"uart16550": {
		Name: "uart16550", Spec: "devices/uart16550/uart16550.dev",
		Regions: map[string]Range{"": {0x2f8, 8}}, // COM2
		Script:  MustParse("uart16550", uartScript),
	},
	"mc146818": {
		Name: "mc146818", Spec: "devices/mc146818/mc146818.dev",
		Regions: map[string]Range{"": {0x70, 2}},
		Script:  MustParse("mc146818", rtcScript),
	},
	"ata": {
		Name: "ata", Spec: "devices/ata/ata.dev",
		Regions: map[string]Range{"": {0x1f0, 8}, "ctl": {0x3f6, 1}}, // primary channel
		Script:  MustParse("ata", ataScript),
	},
}

// COM2 as firmware and the kernel leave it (nobody of ours has touched it),
// then the divisor, the FIFO's effect on IIR, the THRE interrupt, and
// loopback, the one way QEMU's model makes a line error (an overrun).
const uartScript = `
r 1            // IER after boot
r 2            // IIR
r 3            // LCR
r 4            // MCR
r 5            // LSR
r 6            // MSR
r 7            // SCR
w 3 0x80       // LCR: DLAB
r 0            // DLL after boot
r 1            // DLM after boot
w 0 0x0c       // DLL: 9600 baud
w 1 0x00       // DLM
r 0            // DLL reads back
w 3 0x03       // LCR: 8N1, DLAB off
r 3            // LCR reads back
w 2 0x01       // FCR: FIFOs on
r 2            // IIR with FIFOs on
w 2 0xc7       // FCR: FIFOs on, both reset, trigger 14
r 2            // IIR after the FIFO resets
w 1 0x02       // IER: ETBEI
r 2            // IIR: transmitter empty pending
r 2            // IIR read again (reading it acknowledged THRE)
w 1 0x00       // IER off
w 7 0x5a       // SCR
r 7            // SCR holds
w 2 0x00       // FIFOs off
w 4 0x10       // MCR: LOOP
r 6            // MSR in loopback, MCR outputs off
w 4 0x1f       // MCR: LOOP, DTR, RTS, OUT1, OUT2
r 6            // MSR in loopback, MCR outputs on
w 0 0x41       // THR 'A' in loopback
settle
r 5            // LSR: one byte back
w 0 0x42       // THR 'B': overruns the unread 'A'
settle
r 5            // LSR: DR and OE
r 5            // LSR again: reading it cleared OE
r 0            // RBR
r 5            // LSR after the read
w 4 0x00       // MCR: loopback off
`

// The RTC as firmware leaves it, register D, the RAM behind address 0x0e,
// and SET stopping the update cycle.
const rtcScript = `
w 0 0x0a       // INDEX: register A
r 1 0x7f       // A without UIP (it comes and goes)
w 0 0x0b
r 1            // B
w 0 0x0d
r 1            // D: VRT
w 0 0x0d
r 1            // D again
w 0 0x0e
r 1            // 0x0e, the first RAM byte (POST status on the PC)
w 0 0x32
r 1            // 0x32, the century byte PC firmware keeps
w 0 0x0c
r 1            // C: reading clears the flags
settle
w 0 0x0c
r 1 0xe0       // C after 20 ms at rate 6 (1024 Hz), without UF (once a second)
w 0 0x0b
w 1 0x82       // B: SET, 24-hour, BCD
w 0 0x0a
r 1            // A with SET: UIP must be clear
settle
w 0 0x0a
r 1            // A with SET, later: still no update
w 0 0x0b
w 1 0x02       // B: SET off, the clock runs
w 0 0x0a
r 1 0x7f       // A again, without UIP
`

// The primary master as firmware leaves it, IDENTIFY, a READ SECTORS
// beyond the end of the disk, and a software reset.
const ataScript = `
settle
r 7            // STATUS after boot
r ctl+0        // ALTSTATUS
r 1            // ERROR
r 2            // SECCOUNT
r 3            // LBA_LOW
r 4            // LBA_MID
r 5            // LBA_HIGH
r 6            // DEVICE after boot
w ctl+0 0x02   // DEVCTL: nIEN
w 6 0xe0       // DEVICE: master, LBA
w 7 0xec       // IDENTIFY DEVICE
settle         // the 400 ns before the status shows the command
poll 7 0x80 0  // until IDENTIFY is done (BSY clear)
r 7            // STATUS: DRQ
stream 0 512   // the IDENTIFY data
r 7            // STATUS after the data
w 2 0x01       // SECCOUNT 1
w 3 0x00       // LBA 0x0fffff00: beyond the 16 MiB disk
w 4 0xff
w 5 0xff
w 6 0xe0       // DEVICE: master, LBA, bits 27:24 = 0
w 7 0x20       // READ SECTORS
settle
poll 7 0x80 0  // until READ SECTORS is done (BSY clear)
r 7            // STATUS: ERR (QEMU) or DRQ
r 1            // ERROR: which error bit
w ctl+0 0x06   // DEVCTL: SRST, nIEN
r ctl+0        // ALTSTATUS during the reset
w ctl+0 0x02   // DEVCTL: SRST released
poll ctl+0 0x80 0 // until the reset is done (BSY clear)
r 7            // STATUS after the reset
r 1            // ERROR after the reset: the diagnostic code
r 2            // SECCOUNT: signature
r 3            // LBA_LOW: signature
r 4            // LBA_MID: signature
r 5            // LBA_HIGH: signature
r 6            // DEVICE after the reset
`
