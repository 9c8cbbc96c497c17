//go:build linux && amd64

#include "textflag.h"

// One IN or OUT per call: the port number goes in DX, the value in AX.

// func inb(port uint16) uint8
TEXT ·inb(SB), NOSPLIT, $0-9
	MOVW port+0(FP), DX
	INB
	MOVB AX, ret+8(FP)
	RET

// func inw(port uint16) uint16
TEXT ·inw(SB), NOSPLIT, $0-10
	MOVW port+0(FP), DX
	INW
	MOVW AX, ret+8(FP)
	RET

// func inl(port uint16) uint32
TEXT ·inl(SB), NOSPLIT, $0-12
	MOVW port+0(FP), DX
	INL
	MOVL AX, ret+8(FP)
	RET

// func outb(port uint16, v uint8)
TEXT ·outb(SB), NOSPLIT, $0-3
	MOVW port+0(FP), DX
	MOVB v+2(FP), AX
	OUTB
	RET

// func outw(port uint16, v uint16)
TEXT ·outw(SB), NOSPLIT, $0-4
	MOVW port+0(FP), DX
	MOVW v+2(FP), AX
	OUTW
	RET

// func outl(port uint16, v uint32)
TEXT ·outl(SB), NOSPLIT, $0-8
	MOVW port+0(FP), DX
	MOVL v+4(FP), AX
	OUTL
	RET

// Streams: REP INS stores n units from port DX at DI; REP OUTS sends n
// units from SI. The direction flag is clear in Go code (ABI), so both move
// forward through the buffer.

// func insb(port uint16, p *byte, n int)
TEXT ·insb(SB), NOSPLIT, $0-24
	MOVW port+0(FP), DX
	MOVQ p+8(FP), DI
	MOVQ n+16(FP), CX
	REP; INSB
	RET

// func insw(port uint16, p *byte, n int)
TEXT ·insw(SB), NOSPLIT, $0-24
	MOVW port+0(FP), DX
	MOVQ p+8(FP), DI
	MOVQ n+16(FP), CX
	REP; INSW
	RET

// func insl(port uint16, p *byte, n int)
TEXT ·insl(SB), NOSPLIT, $0-24
	MOVW port+0(FP), DX
	MOVQ p+8(FP), DI
	MOVQ n+16(FP), CX
	REP; INSL
	RET

// func outsb(port uint16, p *byte, n int)
TEXT ·outsb(SB), NOSPLIT, $0-24
	MOVW port+0(FP), DX
	MOVQ p+8(FP), SI
	MOVQ n+16(FP), CX
	REP; OUTSB
	RET

// func outsw(port uint16, p *byte, n int)
TEXT ·outsw(SB), NOSPLIT, $0-24
	MOVW port+0(FP), DX
	MOVQ p+8(FP), SI
	MOVQ n+16(FP), CX
	REP; OUTSW
	RET

// func outsl(port uint16, p *byte, n int)
TEXT ·outsl(SB), NOSPLIT, $0-24
	MOVW port+0(FP), DX
	MOVQ p+8(FP), SI
	MOVQ n+16(FP), CX
	REP; OUTSL
	RET
