// Package model lowers a checked device spec and its class to an executable
// model: numbered state variables, registers and fields with their access
// semantics, and an interpreter for handlers, internal transitions and
// inputs over states whose wide values are symbolic terms.
//
// The solver explores this model on beliefs; the simulator bus runs it on
// concrete values. Both see the device only through it, so the behaviour a
// driver is synthesized against and the one it is tested against are the
// same reading of the spec.
package model

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"sync"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/term"
)

// Model is a lowered device spec.
type Model struct {
	Spec     *dsl.Spec
	Name     string
	Class    string
	BusKind  string // "port" or "mmio"
	BusWidth int
	HasIRQ   bool
	IRQ      *dsl.Expr

	Vars      []*Var
	varIndex  map[string]int
	Regs      []*Reg
	regIndex  map[string]*Reg
	Streams   []*Stream
	Internals []*Transition
	Inputs    []*Transition
	Faults    []*Fault
	Regions   map[string]int // region name -> index (0 is the default region)
	consts    map[string]*term.T
	enums     map[string]*Enum // named enum types, device and class
	Events    map[string]*dsl.EventDecl
	Preds     map[string]*dsl.PredDecl
	Bindings  map[string]*dsl.PredBinding
	Methods   []*dsl.Method
	ClassFile *dsl.File
	// elemFaults are the class faults the device binds, by name (see
	// MethodFaults).
	elemFaults map[string]*ElemFault

	code      *compiled
	envMu     sync.Mutex
	envExprs  map[exprWant]*code // see envCode
	holders   []int              // variables that can hold an input's unknown values
	assigned  []bool
	finite    []int // indexes of the finite variables
	resetOnce sync.Once
	tab       *tables // interning tables of this model's states
	resetRoot *vnode
	resetHash uint64
	entryOnce sync.Once
	entryRoot *vnode
	entryHash uint64
}

// Var is one variable of device state: a state declaration or a stored field.
type Var struct {
	Name   string // x, or REG.FIELD for a stored field
	Width  int
	Finite bool // enumerated by the solver; otherwise tracked symbolically
	Reset  *term.T
	Enum   *Enum
	Field  *Field // non-nil for a stored field
	Pos    dsl.Pos
}

// Enum is an enumeration: member names and values.
type Enum struct {
	Name    string // type name, or REG.FIELD for an inline field enum
	Members []EnumMember
	Width   int
	Class   bool // declared in the class spec (a Go type of the class package)
}

// EnumMember is one enumerator.
type EnumMember struct {
	Name  string
	Value uint64
}

// Value returns the value of member name.
func (e *Enum) Value(name string) (uint64, bool) {
	for _, m := range e.Members {
		if m.Name == name {
			return m.Value, true
		}
	}
	return 0, false
}

// Reg is a register.
type Reg struct {
	Decl    *dsl.RegisterDecl
	Name    string
	Region  int
	Offset  uint32
	Width   int
	Read    bool
	Write   bool
	Bank    *dsl.Expr
	Fields  []*Field
	Reset   uint64
	OnRead  []*dsl.Stmt
	OnWrite []*dsl.Stmt

	onRead, onWrite []*step // compiled
}

// Field is a bit field of a register.
type Field struct {
	Decl    *dsl.FieldDecl
	Reg     *Reg
	Name    string
	Lo      int
	Width   int
	Stored  bool
	Var     int // index into Model.Vars when Stored
	Trigger bool
	RC      bool
	W1C     bool
	Value   *dsl.Expr // read value of a field of a ro register
	Enum    *Enum
	Reset   uint64
	// rcVar is the variable a read-clear field without storage reads as,
	// which the read clears (-1: none).
	rcVar int
	qual  string // REG.FIELD, made once: the solver asks for it per move
}

// Qual is REG.FIELD.
func (f *Field) Qual() string {
	if f.qual == "" {
		return f.Reg.Name + "." + f.Name
	}
	return f.qual
}

// Mask is the field's mask within its register.
func (f *Field) Mask() uint64 { return (uint64(1)<<uint(f.Width) - 1) << uint(f.Lo) }

// Stream is a bulk data port.
type Stream struct {
	Decl    *dsl.StreamDecl
	Name    string
	Region  int
	Offset  uint32
	Width   int
	Window  bool
	Size    int
	Read    bool
	Write   bool
	Bank    *dsl.Expr
	OnRead  []*dsl.Stmt
	OnWrite []*dsl.Stmt
	// Layouts name values inside what a read delivers.
	Layouts []*Layout

	onRead, onWrite []*step // compiled
}

// Layout is a set of typed fields inside one stream transfer, shown while
// When holds (nil: always) in the state before the read.
type Layout struct {
	Decl   *dsl.LayoutDecl
	Name   string
	When   *dsl.Expr
	Fields []*LayoutField
}

// LayoutField is Bytes bytes at Offset of a transfer, in the byte order
// given (BigEndian false: least significant first), holding Value (nil:
// the bytes are only named).
type LayoutField struct {
	Decl      *dsl.LayoutField
	Name      string
	Offset    int
	Bytes     int
	BigEndian bool
	Value     *dsl.Expr
}

// ActiveLayout is the layout of p whose condition holds in s, or nil; an
// error when a condition depends on data.
func (m *Model) ActiveLayout(p *Stream, s *State) (*Layout, error) {
	for _, l := range p.Layouts {
		ok, err := m.Visible(l.When, s)
		if err != nil {
			return nil, err
		}
		if ok {
			return l, nil
		}
	}
	return nil, nil
}

// Transition is an internal transition or an input.
type Transition struct {
	Name string
	Fair bool
	Rare bool // at most once during one method call (see RareMark)
	// Between: only between method calls (see BetweenCalls).
	Between bool
	Guard   *dsl.Expr
	Body    []*dsl.Stmt
	Params  []*dsl.Param // inputs only
	Pos     dsl.Pos

	body    []*step   // compiled
	sources []string  // the names of the unknowns its parameters bring
	widths  []int     // and their widths
	fresh   []*term.T // and generation 0 of each (term.U)
}

// Fault is an observable device error.
type Fault struct {
	Name    string
	Cond    *dsl.Expr
	Message string
	Pos     dsl.Pos
}

// Var returns the index of variable name, or -1.
func (m *Model) Var(name string) int {
	if i, ok := m.varIndex[name]; ok {
		return i
	}
	return -1
}

// varOfPath is Var of the dotted name path spells, without building the
// name on the heap: solver analyses ask it of the same expressions very
// often.
func (m *Model) varOfPath(path []string) int {
	if len(path) == 1 {
		return m.Var(path[0])
	}
	var buf [64]byte
	name := buf[:0]
	for i, p := range path {
		if i > 0 {
			name = append(name, '.')
		}
		name = append(name, p...)
	}
	if i, ok := m.varIndex[string(name)]; ok { // no string is made for the lookup
		return i
	}
	return -1
}

// Reg returns register name, or nil.
func (m *Model) Reg(name string) *Reg { return m.regIndex[name] }

// Enum returns the named enum type, or nil.
func (m *Model) Enum(name string) *Enum { return m.enums[name] }

// Const returns the value of a named constant.
func (m *Model) Const(name string) (*term.T, bool) {
	c, ok := m.consts[name]
	return c, ok
}

// Lower builds the model of a checked spec.
func Lower(s *dsl.Spec) (*Model, error) {
	d := s.Device.Device
	m := &Model{
		Spec: s, Name: d.Name, Class: d.Implements.Name,
		varIndex: map[string]int{}, regIndex: map[string]*Reg{},
		Regions: map[string]int{"": 0}, consts: map[string]*term.T{},
		enums: map[string]*Enum{}, Events: map[string]*dsl.EventDecl{},
		Preds: map[string]*dsl.PredDecl{}, Bindings: map[string]*dsl.PredBinding{},
		ClassFile: s.Class,
	}
	// Class first: its types and events are in scope in the device.
	for _, it := range s.Class.Class.Items {
		switch {
		case it.Type != nil:
			if it.Type.Type.Enum != nil {
				m.enums[it.Type.Name] = lowerEnum(it.Type.Name, it.Type.Type.Enum, true)
			}
		case it.Event != nil:
			m.Events[it.Event.Name] = it.Event
		case it.Predicate != nil:
			m.Preds[it.Predicate.Name] = it.Predicate
		case it.Method != nil:
			m.Methods = append(m.Methods, it.Method)
		}
	}
	for _, it := range d.Items {
		switch {
		case it.Bus != nil:
			m.BusKind = it.Bus.Kind
			m.BusWidth = 8
			if it.Bus.Width != nil {
				m.BusWidth = *it.Bus.Width
			}
			m.HasIRQ = it.Bus.IRQ
		case it.Region != nil:
			m.Regions[it.Region.Name] = len(m.Regions)
		case it.Type != nil:
			if it.Type.Type.Enum != nil {
				m.enums[it.Type.Name] = lowerEnum(it.Type.Name, it.Type.Type.Enum, false)
			}
		}
	}
	if m.BusWidth == 0 {
		m.BusWidth = 8
	}
	// Constants may refer to earlier constants.
	for _, it := range d.Items {
		if it.Const != nil {
			v, err := m.constValue(it.Const.Value)
			if err != nil {
				return nil, fmt.Errorf("%s: const %s: %v", posString(it.Const.Pos), it.Const.Name, err)
			}
			m.consts[it.Const.Name] = v
		}
	}
	var bound []faultBinding // lowered once the registers are
	for _, it := range d.Items {
		switch {
		case it.State != nil:
			if err := m.addStateVar(it.State); err != nil {
				return nil, err
			}
		case it.Register != nil:
			m.addRegister(it.Register)
		case it.Stream != nil:
			m.addStream(it.Stream)
		case it.Internal != nil:
			x := it.Internal
			m.Internals = append(m.Internals, &Transition{Name: x.Name, Fair: x.Fair, Rare: x.Rare, Between: x.Between, Guard: x.Guard, Body: x.Body, Pos: x.Pos})
		case it.Input != nil:
			x := it.Input
			m.Inputs = append(m.Inputs, &Transition{Name: x.Name, Guard: x.Guard, Body: x.Body, Params: x.Params, Pos: x.Pos})
		case it.Interrupt != nil:
			m.IRQ = it.Interrupt.Cond
		case it.Fault != nil:
			f := &Fault{Name: it.Fault.Name, Cond: it.Fault.Cond, Pos: it.Fault.Pos}
			if it.Fault.Message != nil {
				f.Message = *it.Fault.Message
			}
			m.Faults = append(m.Faults, f)
		case it.Bind != nil:
			cfs := classFaults(s.Class.Class)
			for _, pb := range it.Bind.Preds {
				if decl := cfs[pb.Name]; decl != nil {
					bound = append(bound, faultBinding{decl, pb})
					continue
				}
				m.Bindings[pb.Name] = pb
			}
		}
	}
	for _, b := range bound {
		if err := m.bindElemFault(b.decl, b.pb); err != nil {
			return nil, err
		}
	}
	m.classifyStoredFields()
	for i, v := range m.Vars {
		if v.Finite {
			m.finite = append(m.finite, i)
		}
	}
	for _, r := range m.Regs {
		for _, f := range r.Fields {
			f.rcVar = -1
			if f.RC && !f.Stored && f.Value != nil && f.Value.Kind == dsl.NameExpr {
				f.rcVar = m.Var(f.Value.Name())
			}
		}
	}
	m.compileBehaviour()
	for _, t := range m.Inputs {
		for i, src := range t.sources {
			t.fresh = append(t.fresh, term.U(src, t.widths[i]))
		}
	}
	return m, nil
}

func posString(p dsl.Pos) string { return fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Column) }

func lowerEnum(name string, e *dsl.EnumBody, class bool) *Enum {
	en := &Enum{Name: name, Class: class}
	var max uint64
	for i, mem := range e.Members {
		v := uint64(i)
		if mem.Value != nil {
			v = uint64(*mem.Value)
		}
		en.Members = append(en.Members, EnumMember{mem.Name, v})
		if v > max {
			max = v
		}
	}
	en.Width = bits.Len64(max)
	if en.Width == 0 {
		en.Width = 1
	}
	return en
}

func (m *Model) constValue(e *dsl.Expr) (*term.T, error) {
	v, err := m.Eval(e, nil, nil)
	if err != nil {
		return nil, err
	}
	if !v.IsConst() {
		return nil, fmt.Errorf("not a constant")
	}
	return v, nil
}

func (m *Model) addStateVar(sd *dsl.StateDecl) error {
	v := &Var{Name: sd.Name, Pos: sd.Pos}
	t := sd.Type
	switch {
	case t.Slice:
		v.Width = 0 // a buffer: tracked as a whole, never sliced
	case t.Bool:
		v.Width, v.Finite = 1, true
	case t.Uint != nil:
		v.Width, v.Finite = *t.Uint, true
	case t.Data != nil:
		v.Width = *t.Data
	case t.Enum != nil:
		v.Enum = lowerEnum(sd.Name, t.Enum, false)
		v.Width, v.Finite = v.Enum.Width, true
	case t.Named != "":
		v.Enum = m.enums[t.Named]
		if v.Enum == nil {
			return fmt.Errorf("%s: unknown type %s", posString(t.Pos), t.Named)
		}
		v.Width, v.Finite = v.Enum.Width, true
	}
	if sd.Init != nil {
		init, err := m.EvalExpected(sd.Init, nil, nil, v.Enum)
		if err != nil {
			return fmt.Errorf("%s: initial value of %s: %v", posString(sd.Pos), sd.Name, err)
		}
		v.Reset = term.Resize(init, v.Width)
	} else if v.Finite {
		v.Reset = term.C(0, v.Width)
	} else {
		// A data variable nobody initialised holds some value nobody can name.
		v.Reset = term.U("reset."+sd.Name, v.Width)
	}
	m.varIndex[v.Name] = len(m.Vars)
	m.Vars = append(m.Vars, v)
	return nil
}

func (m *Model) location(l *dsl.Location) (int, uint32) {
	return m.Regions[l.Region], uint32(l.Offset)
}

func (m *Model) addRegister(rd *dsl.RegisterDecl) {
	r := &Reg{Decl: rd, Name: rd.Name, Width: m.BusWidth, Bank: rd.When,
		Read: rd.Access != "wo", Write: rd.Access != "ro"}
	r.Region, r.Offset = m.location(rd.At)
	if rd.Width != nil {
		r.Width = *rd.Width
	}
	if rd.Reset != nil {
		r.Reset = uint64(*rd.Reset)
	}
	for _, it := range rd.Body {
		if it.Handler != nil {
			if it.Handler.On == "read" {
				r.OnRead = append(r.OnRead, it.Handler.Body...)
			} else {
				r.OnWrite = append(r.OnWrite, it.Handler.Body...)
			}
			continue
		}
		fd := it.Field
		f := &Field{Decl: fd, Reg: r, Name: fd.Name, Lo: fd.Bits.Low(), Width: fd.Bits.Width(), Value: fd.Value,
			qual: r.Name + "." + fd.Name}
		for _, e := range fd.Effects {
			switch e {
			case "trigger":
				f.Trigger = true
			case "rc":
				f.RC = true
			case "w1c":
				f.W1C = true
			}
		}
		if fd.Enum != nil {
			f.Enum = lowerEnum(f.qual, fd.Enum, false)
		}
		f.Reset = (r.Reset >> uint(f.Lo)) & (1<<uint(f.Width) - 1)
		if fd.Reset != nil {
			f.Reset = uint64(*fd.Reset)
		}
		// A field with a value expression is a read-only bit, even in a
		// writable register: the device computes it.
		f.Stored = r.Write && !f.Trigger && fd.Value == nil
		if f.Stored {
			v := &Var{Name: f.Qual(), Width: f.Width, Field: f, Enum: f.Enum, Pos: fd.Pos, Reset: term.C(f.Reset, f.Width)}
			f.Var = len(m.Vars)
			m.varIndex[v.Name] = f.Var
			m.Vars = append(m.Vars, v)
		}
		r.Fields = append(r.Fields, f)
	}
	sort.Slice(r.Fields, func(i, j int) bool { return r.Fields[i].Lo < r.Fields[j].Lo })
	m.Regs = append(m.Regs, r)
	m.regIndex[r.Name] = r
}

func (m *Model) addStream(sd *dsl.StreamDecl) {
	s := &Stream{Decl: sd, Name: sd.Name, Width: sd.Width, Window: sd.Kind == "window", Bank: sd.When,
		Read: sd.Access != "wo", Write: sd.Access != "ro"}
	s.Region, s.Offset = m.location(sd.At)
	if sd.Size != nil {
		s.Size = *sd.Size
	}
	for _, ld := range sd.Layouts {
		l := &Layout{Decl: ld, Name: ld.Name, When: ld.When}
		for _, fd := range ld.Fields {
			l.Fields = append(l.Fields, &LayoutField{Decl: fd, Name: fd.Name, Offset: fd.Offset, Bytes: fd.Bytes(),
				BigEndian: fd.Order == "be", Value: fd.Value})
		}
		s.Layouts = append(s.Layouts, l)
	}
	for _, h := range sd.Body {
		if h.On == "read" {
			s.OnRead = append(s.OnRead, h.Body...)
		} else {
			s.OnWrite = append(s.OnWrite, h.Body...)
		}
	}
	m.Streams = append(m.Streams, s)
}

// classifyStoredFields decides which stored fields the solver enumerates.
// A stored field is finite when the device's behaviour looks at it (a guard,
// a require, a bank condition, a read value, the interrupt, a fault):
// then its value decides what the device does. A field only the class
// binding mentions (the divisor latch, the word length) is data: the
// device just holds it, and the solver tracks it as a term.
func (m *Model) classifyStoredFields() {
	used := map[string]bool{}
	m.BehaviourExprs(func(e *dsl.Expr, site Site) {
		// Copying a value into device state is a data flow, not a
		// decision: only a copy into finite state makes the source
		// something the device's behaviour depends on.
		if site.Assign != nil && !m.isFiniteTarget(site.Assign.Target.Parts) {
			return
		}
		collectNames(e, site.Local, used)
	})
	// A field the class binding equates with a request-dependent value
	// holds class data (a divisor, a word length chosen by the caller): it
	// stays symbolic even if the device's behaviour also looks at it.
	carried := map[string]bool{}
	for _, pb := range m.Bindings {
		params := map[string]bool{}
		for _, p := range pb.Params {
			params[p.Name] = true
		}
		collectCarried(pb.Body, params, carried)
	}
	for _, v := range m.Vars {
		if v.Field != nil {
			v.Finite = (used[v.Name] || v.Field.W1C || v.Field.RC) && !carried[v.Name]
		}
	}
}

// collectCarried records the locations of LOCATION == VALUE conjuncts whose
// value depends on one of params.
func collectCarried(e *dsl.Expr, params map[string]bool, out map[string]bool) {
	if e == nil || e.Kind != dsl.BinaryExpr {
		return
	}
	switch e.Op {
	case "&&":
		collectCarried(e.X, params, out)
		collectCarried(e.Y, params, out)
	case "==":
		for _, side := range [][2]*dsl.Expr{{e.X, e.Y}, {e.Y, e.X}} {
			names := map[string]bool{}
			collectNames(side[1], nil, names)
			dependent := false
			for n := range names {
				dependent = dependent || params[n]
			}
			if !dependent {
				continue
			}
			locs := map[string]bool{}
			collectNames(side[0], nil, locs)
			for n := range locs {
				out[n] = true
			}
		}
	}
}

// collectNames records every REG.FIELD (and bare field of local) in e.
func collectNames(e *dsl.Expr, local *Reg, out map[string]bool) {
	if e == nil {
		return
	}
	if e.Kind == dsl.NameExpr {
		out[e.Name()] = true
		if local != nil && len(e.Path) == 1 {
			out[local.Name+"."+e.Path[0]] = true
		}
	}
	for _, x := range []*dsl.Expr{e.X, e.Y, e.Z} {
		collectNames(x, local, out)
	}
	for _, a := range e.Args {
		collectNames(a, local, out)
	}
	for _, c := range e.Cases {
		collectNames(c.Value, local, out)
	}
}

// Describe is a one-line summary for -stats output.
func (m *Model) Describe() string {
	finite, data := 0, 0
	var fin []string
	for _, v := range m.Vars {
		if v.Finite {
			finite++
			fin = append(fin, v.Name)
		} else {
			data++
		}
	}
	return fmt.Sprintf("%d registers, %d finite variables (%s), %d data variables",
		len(m.Regs), finite, strings.Join(fin, " "), data)
}

// FieldByQual returns the field REG.FIELD, or nil. It looks the register
// up by name: the solver asks for fields while it slices variables, and a
// scan of every register would make that quadratic in the register count.
func (m *Model) FieldByQual(qual string) *Field {
	reg, field, ok := strings.Cut(qual, ".")
	if !ok {
		return nil
	}
	r := m.regIndex[reg]
	if r == nil {
		return nil
	}
	for _, f := range r.Fields {
		if f.Name == field {
			return f
		}
	}
	return nil
}

// isFiniteTarget reports whether an assignment target is a finite state
// variable (a declared one; stored fields are classified by this pass).
func (m *Model) isFiniteTarget(parts []string) bool {
	if i := m.Var(strings.Join(parts, ".")); i >= 0 {
		return m.Vars[i].Finite || m.Vars[i].Field != nil
	}
	return false
}

// Site says where an expression of the device's behaviour stands.
type Site struct {
	// Local is the register whose handler holds the expression (its fields
	// are visible by bare name), or nil.
	Local *Reg
	// Assign is set when the expression is the value of an assignment.
	Assign *dsl.Assign
}

// BehaviourExprs calls f for every expression the device's behaviour
// evaluates: bank conditions, field values, requires, if conditions and
// assigned values in handlers, transitions' guards and bodies, the
// interrupt, and faults. (Emit arguments carry data to the class and are
// not behaviour.)
func (m *Model) BehaviourExprs(f func(e *dsl.Expr, site Site)) {
	visit := func(e *dsl.Expr, site Site) {
		if e != nil {
			f(e, site)
		}
	}
	var stmts func(ss []*dsl.Stmt, local *Reg)
	stmts = func(ss []*dsl.Stmt, local *Reg) {
		for _, s := range ss {
			switch {
			case s.Require != nil:
				visit(s.Require.Cond, Site{Local: local})
			case s.If != nil:
				visit(s.If.Cond, Site{Local: local})
				stmts(s.If.Then, local)
				stmts(s.If.Else, local)
			case s.Assign != nil:
				visit(s.Assign.Value, Site{Local: local, Assign: s.Assign})
			}
		}
	}
	for _, r := range m.Regs {
		visit(r.Bank, Site{})
		for _, fl := range r.Fields {
			visit(fl.Value, Site{})
		}
		stmts(r.OnRead, r)
		stmts(r.OnWrite, r)
	}
	for _, p := range m.Streams {
		visit(p.Bank, Site{})
		for _, l := range p.Layouts {
			// A layout is read like a register: its condition decides
			// what a read shows, its values are what it shows.
			visit(l.When, Site{})
			for _, fl := range l.Fields {
				visit(fl.Value, Site{})
			}
		}
		stmts(p.OnRead, nil)
		stmts(p.OnWrite, nil)
	}
	for _, t := range append(append([]*Transition{}, m.Internals...), m.Inputs...) {
		visit(t.Guard, Site{})
		stmts(t.Body, nil)
	}
	visit(m.IRQ, Site{})
	for _, fl := range m.Faults {
		visit(fl.Cond, Site{})
	}
}

// Load parses and checks the device spec at path and the class it
// implements, and lowers them. Diagnostics come back as a dsl.Diagnostics
// error.
func Load(path string) (*Model, error) {
	spec, diags := dsl.LoadDevice(path)
	if spec == nil || diags.HasErrors() {
		return nil, diags
	}
	return Lower(spec)
}
