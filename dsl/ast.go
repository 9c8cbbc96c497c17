// Package dsl is the specification language of drvsynth: the grammar of
// device specs (.dev) and driver-class specs (.osi), their syntax tree, the
// semantic checker, diagnostics and the canonical formatter.
package dsl

import (
	"fmt"

	"github.com/alecthomas/participle/v2/lexer"
)

// Pos is a position in a spec file. Lines and columns count from 1;
// columns count runes. The parser fills it (its layout matches the
// lexer's), so no other package sees the parser library.
type Pos struct {
	Filename string
	Offset   int // bytes from the start of the file
	Line     int
	Column   int
}

// String is file:line:col, or line:col without a file name, or "-"
// for no position.
func (p Pos) String() string {
	switch {
	case p.Line == 0:
		return "-"
	case p.Filename == "":
		return fmt.Sprintf("%d:%d", p.Line, p.Column)
	}
	return fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Column)
}

// IsValid reports whether the position is known.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Before reports whether p comes before q (by file name, then place).
func (p Pos) Before(q Pos) bool {
	if p.Filename != q.Filename {
		return p.Filename < q.Filename
	}
	if p.Line != q.Line {
		return p.Line < q.Line
	}
	return p.Column < q.Column
}

func posOf(p lexer.Position) Pos { return Pos(p) }

// File is one spec file: a device or a driver class.
type File struct {
	Pos    Pos
	Device *Device `parser:"(  @@"`
	Class  *Class  `parser:" | @@ )"`

	// Comments holds every comment of the file in source order. The parser
	// fills it from the token stream; the formatter puts them back.
	Comments []*Comment `parser:""`
	// Name is the path the file was read from, as given to Parse.
	Name string `parser:""`
	// Src is the text of the file, kept for diagnostics (source line and
	// caret), for positions the AST does not record, and for the
	// formatter, which scans it again to put comments back and to keep the
	// spelling of numbers (0x60). (Keeping the tokens instead would cost
	// 64 bytes a token for as long as the tree lives.)
	Src []byte `parser:""`
}

// Comment is one // comment.
type Comment struct {
	Pos  Pos
	Text string // including the leading //
}

// ---------------------------------------------------------------- device

// Device is a device spec: registers, state and behaviour of one device.
type Device struct {
	Pos        Pos
	Name       string        `parser:"\"device\" @Ident"`
	Implements *Ident        `parser:"\"implements\" @@"`
	Items      []*DeviceItem `parser:"\"{\" @@* \"}\""`
	EndPos     Pos
}

// DeviceItem is one declaration inside a device.
type DeviceItem struct {
	Pos       Pos
	Bus       *BusDecl       `parser:"  @@"`
	Region    *RegionDecl    `parser:"| @@"`
	Const     *ConstDecl     `parser:"| @@"`
	Type      *TypeDecl      `parser:"| @@"`
	State     *StateDecl     `parser:"| @@"`
	Register  *RegisterDecl  `parser:"| @@"`
	Stream    *StreamDecl    `parser:"| @@"`
	Internal  *InternalDecl  `parser:"| @@"`
	Input     *InputDecl     `parser:"| @@"`
	Interrupt *InterruptDecl `parser:"| @@"`
	Fault     *FaultDecl     `parser:"| @@"`
	Bind      *BindDecl      `parser:"| @@"`
}

// BusDecl says how the device sits on the bus:
//
//	bus port width 8 irq
//	bus mmio width 32
type BusDecl struct {
	Pos   Pos
	Kind  string `parser:"\"bus\" @(\"port\" | \"mmio\")"`
	Width *int   `parser:"(\"width\" @Number)?"`
	IRQ   bool   `parser:"@\"irq\"?"`
}

// RegionDecl declares a second address range of the device (ATA's control
// block), addressed as "@ ctl + 6".
type RegionDecl struct {
	Pos  Pos
	Name string `parser:"\"region\" @Ident"`
	Size int    `parser:"\"size\" @Number"`
}

// ConstDecl names a constant: const CLOCK = 1843200.
type ConstDecl struct {
	Pos   Pos
	Name  string `parser:"\"const\" @Ident \"=\""`
	Value *Expr  `parser:"@@"`
}

// TypeDecl names a type: type Cmd = enum { READ = 0x20, WRITE = 0x30 }.
type TypeDecl struct {
	Pos  Pos
	Name string `parser:"\"type\" @Ident \"=\""`
	Type *Type  `parser:"@@"`
}

// StateDecl declares a device state variable. A carried variable may hold
// any of its values between methods: the idle invariant does not fix it, so
// a method may leave it changed and every method starts from whatever value
// the others leave (vblk: writes not yet durable, until Flush).
type StateDecl struct {
	Pos     Pos
	Name    string `parser:"\"state\" @Ident \":\""`
	Type    *Type  `parser:"@@"`
	Init    *Expr  `parser:"(\"=\" @@)?"`
	Carried bool   `parser:"@\"carried\"?"`
}

// Type is bool, uint<N> (finite, enumerated), data<N> (wide, symbolic),
// an enum, a named type, or a slice []T (class method parameters only).
type Type struct {
	Pos   Pos
	Slice bool      `parser:"@(\"[\" \"]\")?"`
	Bool  bool      `parser:"(  @\"bool\""`
	Uint  *int      `parser:" | \"uint\" \"<\" @Number \">\""`
	Data  *int      `parser:" | \"data\" \"<\" @Number \">\""`
	Enum  *EnumBody `parser:" | @@"`
	Named string    `parser:" | @Ident )"`
}

// EnumBody is enum { A, B = 3 }.
type EnumBody struct {
	Pos     Pos
	Members []*EnumMember `parser:"\"enum\" \"{\" (@@ (\",\" @@)* \",\"?)? \"}\""`
}

// EnumMember is one enumerator, with an explicit value or its index.
type EnumMember struct {
	Pos   Pos
	Name  string `parser:"@Ident"`
	Value *int   `parser:"(\"=\" @Number)?"`
}

// RegisterDecl declares a register:
//
//	register LSR @ 5 : ro width 8 reset 0x60 when LCR.DLAB == 0 { ... }
type RegisterDecl struct {
	Pos    Pos
	Name   string     `parser:"\"register\" @Ident"`
	At     *Location  `parser:"\"@\" @@"`
	Access string     `parser:"\":\" @(\"ro\" | \"wo\" | \"rw\")"`
	Width  *int       `parser:"(\"width\" @Number)?"`
	Reset  *int       `parser:"(\"reset\" @Number)?"`
	When   *Expr      `parser:"(\"when\" @@)?"`
	Body   []*RegItem `parser:"\"{\" @@* \"}\""`
	EndPos Pos
}

// Location is an offset, optionally inside a named region: 6 or ctl + 6.
type Location struct {
	Pos    Pos
	Region string `parser:"(@Ident \"+\")?"`
	Offset int    `parser:"@Number"`
}

// RegItem is a field or a handler inside a register.
type RegItem struct {
	Pos     Pos
	Field   *FieldDecl `parser:"  @@"`
	Handler *Handler   `parser:"| @@"`
}

// FieldDecl declares a bit field. A field of a ro register gives its value
// as an expression over device state; a field of a rw or wo register is
// stored by the device unless it is a trigger.
type FieldDecl struct {
	Pos     Pos
	Name    string    `parser:"\"field\" @Ident"`
	Bits    *BitRange `parser:"@@"`
	Enum    *EnumBody `parser:"@@?"`
	Reset   *int      `parser:"(\"reset\" @Number)?"`
	Effects []string  `parser:"@(\"rc\" | \"w1c\" | \"trigger\")*"`
	Value   *Expr     `parser:"(\"=\" @@)?"`
}

// BitRange is [hi:lo] or [bit].
type BitRange struct {
	Pos Pos
	Hi  int  `parser:"\"[\" @Number"`
	Lo  *int `parser:"(\":\" @Number)? \"]\""`
}

// Low returns the lowest bit of the range.
func (b *BitRange) Low() int {
	if b.Lo == nil {
		return b.Hi
	}
	return *b.Lo
}

// Width returns the number of bits in the range.
func (b *BitRange) Width() int { return b.Hi - b.Low() + 1 }

// Handler runs on a register or stream access: on read { ... }.
type Handler struct {
	Pos  Pos
	On   string  `parser:"\"on\" @(\"read\" | \"write\")"`
	Body []*Stmt `parser:"\"{\" @@* \"}\""`
}

// StreamDecl declares a bulk data port through which a whole buffer moves
// in one driver action:
//
//	stream DATA @ 0 : rw width 16 fifo { on read { ... } on write { ... } }
//	stream WINDOW @ 0x1000 : rw width 32 window 65536 { ... }
//
// Inside its handlers the name "buf" is the buffer moved.
type StreamDecl struct {
	Pos    Pos
	Name   string    `parser:"\"stream\" @Ident"`
	At     *Location `parser:"\"@\" @@"`
	Access string    `parser:"\":\" @(\"ro\" | \"wo\" | \"rw\")"`
	Width  int       `parser:"\"width\" @Number"`
	Kind   string    `parser:"@(\"fifo\" | \"window\")"`
	Size   *int      `parser:"@Number?"`
	When   *Expr     `parser:"(\"when\" @@)?"`
	// Layouts come before the handlers.
	Layouts []*LayoutDecl `parser:"\"{\" @@*"`
	Body    []*Handler    `parser:"@@* \"}\""`
}

// LayoutDecl names typed fields inside what a stream read delivers while
// its condition holds (the command that produced the data):
//
//	layout IDENTIFY when op == Identify {
//	    field SECTORS @ 120 : data<32> le = total_sectors
//	}
type LayoutDecl struct {
	Pos    Pos
	Name   string         `parser:"\"layout\" @Ident"`
	When   *Expr          `parser:"(\"when\" @@)?"`
	Fields []*LayoutField `parser:"\"{\" @@* \"}\""`
}

// LayoutField is a value at a byte offset of a stream transfer: its type
// gives its size (data<32>: 4 bytes), le or be its byte order, and the
// expression over device state what the device puts there. A field
// without a value only names the bytes.
type LayoutField struct {
	Pos    Pos
	Name   string `parser:"\"field\" @Ident"`
	Offset int    `parser:"\"@\" @Number"`
	Type   *Type  `parser:"\":\" @@"`
	Order  string `parser:"@(\"le\" | \"be\")?"`
	Value  *Expr  `parser:"(\"=\" @@)?"`
}

// Bytes is the field's size in bytes (its type's width, rounded up).
func (f *LayoutField) Bytes() int {
	if f.Type == nil || f.Type.Data == nil {
		return 0
	}
	return (*f.Type.Data + 7) / 8
}

// InternalDecl is a transition the device takes by itself. A fair one is
// guaranteed to happen eventually while its guard holds; a rare one
// happens at most once during one method call; a between one happens
// only between method calls, never during one.
type InternalDecl struct {
	Pos     Pos
	Name    string  `parser:"\"internal\" @Ident"`
	Fair    bool    `parser:"@\"fair\"?"`
	Rare    bool    `parser:"@\"rare\"?"`
	Between bool    `parser:"@\"between\"?"`
	Guard   *Expr   `parser:"(\"when\" @@)?"`
	Body    []*Stmt `parser:"\"{\" @@* \"}\""`
}

// InputDecl is something the outside world does to the device (a byte
// arrives on the line); the driver can only wait for it.
type InputDecl struct {
	Pos    Pos
	Name   string   `parser:"\"input\" @Ident"`
	Params []*Param `parser:"\"(\" (@@ (\",\" @@)*)? \")\""`
	Guard  *Expr    `parser:"(\"when\" @@)?"`
	Body   []*Stmt  `parser:"\"{\" @@* \"}\""`
}

// InterruptDecl gives the level of the interrupt line.
type InterruptDecl struct {
	Pos  Pos
	Cond *Expr `parser:"\"interrupt\" \"when\" @@"`
}

// FaultDecl names a device error the driver can observe and report:
//
//	fault DEVICE_ERROR when failed "the command was aborted"
//
// A method may end with this fault as a typed error in every belief whose
// states all satisfy the condition.
type FaultDecl struct {
	Pos     Pos
	Name    string  `parser:"\"fault\" @Ident"`
	Cond    *Expr   `parser:"\"when\" @@"`
	Message *string `parser:"@String?"`
}

// BindDecl binds the device to its class: each class predicate is given a
// meaning over device fields and state.
type BindDecl struct {
	Pos   Pos
	Class *Ident         `parser:"\"bind\" @@"`
	Preds []*PredBinding `parser:"\"{\" @@* \"}\""`
}

// PredBinding is line(baud, bits) = <expr>, or ready = <expr>.
type PredBinding struct {
	Pos    Pos
	Name   string   `parser:"@Ident"`
	Params []*Ident `parser:"(\"(\" (@@ (\",\" @@)*)? \")\")?"`
	Body   *Expr    `parser:"\"=\" @@"`
	// Within: the binding holds within this many percent of a request
	// value the device can only approximate (a baud rate from an integer
	// divisor): line(baud) = DIV == CLOCK / baud within 2%.
	Within *int `parser:"(\"within\" @Number \"%\")?"`
}

// Ident is a name with its position.
type Ident struct {
	Pos  Pos
	Name string `parser:"@Ident"`
}

// ---------------------------------------------------------------- statements

// Stmt is one statement of a handler, internal transition or input.
type Stmt struct {
	Pos     Pos
	Require *Require `parser:"  @@"`
	Emit    *Emit    `parser:"| @@"`
	If      *If      `parser:"| @@"`
	Assign  *Assign  `parser:"| @@"`
}

// Require marks what the driver must never cause: the action is illegal in
// any state where the condition is false.
type Require struct {
	Pos     Pos
	Cond    *Expr   `parser:"\"require\" @@"`
	Message *string `parser:"@String?"`
}

// Emit records a class event.
type Emit struct {
	Pos   Pos
	Event string  `parser:"\"emit\" @Ident"`
	Args  []*Expr `parser:"\"(\" (@@ (\",\" @@)*)? \")\""`
}

// If is a guarded block.
type If struct {
	Pos  Pos
	Cond *Expr   `parser:"\"if\" @@"`
	Then []*Stmt `parser:"\"{\" @@* \"}\""`
	Else []*Stmt `parser:"(\"else\" \"{\" @@* \"}\")?"`
}

// Assign updates a state variable or a stored field: x = e, REG.F = e.
type Assign struct {
	Pos    Pos
	Target *Path `parser:"@@ \"=\""`
	Value  *Expr `parser:"@@"`
}

// Path is a dotted name: x, LCR.DLAB.
type Path struct {
	Pos   Pos
	Parts []string `parser:"@Ident (\".\" @Ident)*"`
}

// ---------------------------------------------------------------- class

// Class is a driver-class spec.
type Class struct {
	Pos    Pos
	Name   string       `parser:"\"class\" @Ident"`
	Items  []*ClassItem `parser:"\"{\" @@* \"}\""`
	EndPos Pos
}

// ClassItem is one declaration of a class.
type ClassItem struct {
	Pos       Pos
	Type      *TypeDecl  `parser:"  @@"`
	Event     *EventDecl `parser:"| @@"`
	Predicate *PredDecl  `parser:"| @@"`
	Method    *Method    `parser:"| @@"`
}

// EventDecl declares a class event: event tx(b: data<8>).
type EventDecl struct {
	Pos    Pos
	Name   string   `parser:"\"event\" @Ident"`
	Params []*Param `parser:"\"(\" (@@ (\",\" @@)*)? \")\""`
}

// PredDecl declares a class predicate (class state): predicate ready.
type PredDecl struct {
	Pos    Pos
	Name   string   `parser:"\"predicate\" @Ident"`
	Params []*Param `parser:"(\"(\" (@@ (\",\" @@)*)? \")\")?"`
}

// Param is name: type, optionally an out parameter the method fills.
type Param struct {
	Pos  Pos
	Out  bool   `parser:"@\"out\"?"`
	Name string `parser:"@Ident \":\""`
	Type *Type  `parser:"@@"`
}

// Method is one method of the class and its contract.
type Method struct {
	Pos     Pos
	Name    string    `parser:"\"method\" @Ident"`
	Params  []*Param  `parser:"\"(\" (@@ (\",\" @@)*)? \")\""`
	Results []*Param  `parser:"(\"->\" \"(\" @@ (\",\" @@)* \")\")?"`
	Clauses []*Clause `parser:"\"{\" @@* \"}\""`
}

// Clause is one part of a contract.
type Clause struct {
	Pos      Pos
	Requires *Expr       `parser:"  \"requires\" @@"`
	Ensures  *Expr       `parser:"| \"ensures\" @@"`
	For      *ForEach    `parser:"| @@"`
	Fault    *ClassFault `parser:"| @@"`
}

// ClassFault declares an error the device may report about one element of
// a for-each method (a received byte with a parity error):
//
//	fault parity "the byte arrived with a parity error"
//
// Each device binds it to a field of a readable register, in its bind
// block (parity = LSR.PE); the driver then returns the class's Go error
// (serial.ErrParity) for the element whose read showed the field set.
// Binding it is optional: a device without such a field never reports it.
type ClassFault struct {
	Pos     Pos
	Name    string  `parser:"\"fault\" @Ident"`
	Message *string `parser:"@String?"`
}

// ForEach states a contract for every element of a slice parameter.
type ForEach struct {
	Pos     Pos
	Var     string    `parser:"\"for\" @Ident"`
	Over    *Ident    `parser:"\"in\" @@"`
	Clauses []*Clause `parser:"\"{\" @@* \"}\""`
}
