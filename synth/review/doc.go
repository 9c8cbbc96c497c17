package review

import (
	"bytes"
	"fmt"
	"html"
	"path/filepath"
	"strings"

	"github.com/drvsynth/drvsynth/dsl"
	"github.com/drvsynth/drvsynth/synth/gen"
	"github.com/drvsynth/drvsynth/synth/model"
	"github.com/drvsynth/drvsynth/synth/solve"
)

// Picture is a drawing the reference shows: its title and the file it is
// in (an SVG, or DOT source when Graphviz is missing), relative to the
// reference. SVG, when set, is the drawing itself, inlined in the HTML.
type Picture struct {
	Title string
	File  string
	SVG   []byte
}

// Reference is a device's register reference, in the manner of PeakRDL's
// HTML documentation: the register map, each register's fields with their
// access and side effects, reset values, enums, the methods of the
// synthesized driver that touch each register, and the pictures.
type Reference struct {
	// Unsynthesized, when set, says why the reference has no strategies.
	Unsynthesized string

	res  *solve.Result
	spec string
	pics []Picture
	// touch: register or stream name -> method -> "read", "write" or both
	touch map[string]map[string]string
	// faultReason: the method reads a register to say why a fault happened.
	faultReason map[string]bool
}

// NewReference describes the device of res; spec is the spec's path as
// readers should see it.
func NewReference(res *solve.Result, spec string, pics []Picture) *Reference {
	r := &Reference{res: res, spec: filepath.ToSlash(spec), pics: pics, touch: map[string]map[string]string{}, faultReason: map[string]bool{}}
	for _, st := range res.Methods {
		seen := map[*solve.Node]bool{}
		var walk func(n *solve.Node)
		walk = func(n *solve.Node) {
			if seen[n] || n.Best == nil {
				return
			}
			seen[n] = true
			a := n.Best.Act
			name, how := "", "read"
			switch a.Kind {
			case solve.ActRead:
				name = a.Reg.Name
			case solve.ActWrite:
				name, how = a.Reg.Name, "write"
			case solve.ActStreamRead:
				name = a.Stream.Name
			case solve.ActStreamWrite:
				name, how = a.Stream.Name, "write"
			}
			if r.touch[name] == nil {
				r.touch[name] = map[string]string{}
			}
			if old := r.touch[name][st.Method.Name]; old != "" && old != how {
				how = "read, write"
			}
			r.touch[name][st.Method.Name] = how
			for _, o := range n.Best.Outs {
				walk(o.Next)
			}
		}
		for _, s := range st.Starts {
			walk(s)
		}
		// What the generated code reads besides the strategy: the identity
		// check in Init, and the register a fault names as its reason.
		note := func(name string) {
			if r.touch[name] == nil {
				r.touch[name] = map[string]string{}
			}
			if r.touch[name][st.Method.Name] == "" {
				r.touch[name][st.Method.Name] = "read"
			}
		}
		if st.Method.Name == solve.InitMethod {
			for _, reg := range gen.IdentityRegisters(res.Model) {
				note(reg.Name)
			}
		}
		for n := range seen {
			for _, o := range n.Best.Outs {
				if o.Next.Fault != nil {
					for _, reg := range gen.ReasonRegisters(res.Model, o.Next.Fault) {
						note(reg.Name)
						r.faultReason[st.Method.Name] = true
						break
					}
				}
			}
		}
	}
	return r
}

func (r *Reference) model() *model.Model { return r.res.Model }

// table is a heading, column names and rows, rendered as Markdown or HTML.
type table struct {
	id   string
	head []string
	rows [][]string
}

// section is a titled part of the reference.
type section struct {
	id, title string
	text      []string // paragraphs
	tables    []table
	code      string // spec source shown verbatim
	pics      []Picture
	sub       []section
}

func (r *Reference) sections() []section {
	m := r.model()
	file := m.Spec.Device
	intro := section{id: "overview", title: "Overview"}
	if d := docAbove(file, file.Device.Pos.Line); d != "" {
		intro.text = append(intro.text, d)
	}
	irq := ""
	if m.HasIRQ {
		irq = ", with an interrupt line"
	}
	intro.text = append(intro.text, fmt.Sprintf("Bus: %s, %d-bit registers%s. Class: %s (os-interface/%s/%s.osi). Spec: %s.", busName(m.BusKind), m.BusWidth, irq, m.Class, m.Class, m.Class, r.spec))
	var out []section
	out = append(out, intro)

	if consts := m.NamedConsts(); len(consts) > 0 {
		t := table{id: "constants", head: []string{"Name", "Value", "Spec"}}
		for _, c := range consts {
			t.rows = append(t.rows, []string{c.Name, constText(m, c.Name, c.Value.Val), at(r.spec, c.Line)})
		}
		out = append(out, section{id: "constants", title: "Constants", tables: []table{t}})
	}

	regmap := table{id: "register-map", head: []string{"Offset", "Name", "Access", "Width", "Reset", "Visible when", "Used by", "Description"}}
	for _, reg := range m.Regs {
		bank := ""
		if reg.Bank != nil {
			bank = dsl.FormatExpr(reg.Bank)
		}
		regmap.rows = append(regmap.rows, []string{fmt.Sprintf("%#04x", reg.Offset), "[" + reg.Name + "](#reg-" + reg.Name + ")", access(reg.Read, reg.Write), fmt.Sprint(reg.Width), fmt.Sprintf("%#x", reg.Reset), bank, r.usedBy(reg.Name), docAbove(file, reg.Decl.Pos.Line)})
	}
	for _, s := range m.Streams {
		kind := "FIFO port"
		if s.Window {
			kind = fmt.Sprintf("window of %d bytes", s.Size)
		}
		regmap.rows = append(regmap.rows, []string{fmt.Sprintf("%#04x", s.Offset), "[" + s.Name + "](#reg-" + s.Name + ")", access(s.Read, s.Write), fmt.Sprint(s.Width), "", "", r.usedBy(s.Name), "stream: " + kind})
	}
	out = append(out, section{id: "register-map", title: "Register map", tables: []table{regmap}})

	regs := section{id: "registers", title: "Registers"}
	for _, reg := range m.Regs {
		sec := section{id: "reg-" + reg.Name, title: fmt.Sprintf("%s at %#04x", reg.Name, reg.Offset)}
		if d := docAbove(file, reg.Decl.Pos.Line); d != "" {
			sec.text = append(sec.text, d)
		}
		sec.text = append(sec.text, fmt.Sprintf("%s, %d-bit, reset %#x. Used by: %s.", access(reg.Read, reg.Write), reg.Width, reg.Reset, orNone(r.usedBy(reg.Name))))
		fields := table{id: "fields-" + reg.Name, head: []string{"Bits", "Field", "Access", "Reset", "Side effects", "Reads as", "Values", "Description"}}
		for i := len(reg.Fields) - 1; i >= 0; i-- {
			f := reg.Fields[i]
			bits := fmt.Sprintf("%d", f.Lo)
			if f.Width > 1 {
				bits = fmt.Sprintf("%d:%d", f.Lo+f.Width-1, f.Lo)
			}
			readsAs := ""
			if f.Value != nil {
				readsAs = dsl.FormatExpr(f.Value)
			}
			var values []string
			if f.Enum != nil {
				for _, mem := range f.Enum.Members {
					values = append(values, fmt.Sprintf("%s = %d", mem.Name, mem.Value))
				}
			}
			fields.rows = append(fields.rows, []string{bits, f.Name, access(reg.Read, reg.Write), fmt.Sprintf("%#x", f.Reset), effects(f), readsAs, strings.Join(values, ", "), trailingComment(file, f.Decl.Pos.Line)})
		}
		sec.tables = append(sec.tables, fields)
		sec.code = source(file, reg.Decl.Pos.Offset, reg.Decl.EndPos.Offset)
		regs.sub = append(regs.sub, sec)
	}
	for _, s := range m.Streams {
		sec := section{id: "reg-" + s.Name, title: fmt.Sprintf("%s at %#04x (stream)", s.Name, s.Offset)}
		sec.text = append(sec.text, fmt.Sprintf("%s, moved in %d-bit units. Used by: %s.", access(s.Read, s.Write), s.Width, orNone(r.usedBy(s.Name))))
		sec.code = source(file, s.Decl.Pos.Offset, -1)
		regs.sub = append(regs.sub, sec)
	}
	out = append(out, regs)

	meths := section{id: "methods", title: "Methods of the synthesized driver"}
	t := table{id: "methods-table", head: []string{"Method", "Contract", "Worst-case accesses", "Registers"}}
	for _, st := range r.res.Methods {
		var regs []string
		for _, name := range sortedKeys(r.touch) {
			if how := r.touch[name][st.Method.Name]; how != "" {
				regs = append(regs, name+" ("+how+")")
			}
		}
		per := ""
		if st.Elem != nil {
			per = " per element"
		}
		worst := st.Stats.Rank
		if st.Method.Name == solve.InitMethod {
			worst += len(gen.IdentityRegisters(r.model()))
		}
		extra := ""
		if r.faultReason[st.Method.Name] {
			extra = " (+1 to report a fault)"
		}
		t.rows = append(t.rows, []string{st.Method.Name, at(st.Method.Pos.Filename, st.Method.Pos.Line), fmt.Sprint(worst) + per + extra, strings.Join(regs, ", ")})
	}
	meths.tables = append(meths.tables, t)
	if r.Unsynthesized != "" {
		meths.text = append(meths.text, "No strategies: "+r.Unsynthesized)
		meths.tables = nil
	}
	out = append(out, meths)
	if len(r.pics) > 0 {
		out = append(out, section{id: "pictures", title: "Pictures", pics: r.pics,
			text: []string{"The device's state machine from reset (solid: transitions the device is bound to take; dashed: ones it may take; dotted: inputs; green: driver accesses), and each method's strategy (nodes: what the driver knows; edges: accesses with spec positions)."}})
	}
	return out
}

func busName(kind string) string {
	if kind == "port" {
		return "port I/O"
	}
	return "MMIO"
}

func orNone(s string) string {
	if s == "" {
		return "no method"
	}
	return s
}

func (r *Reference) usedBy(name string) string {
	return strings.Join(sortedKeys(r.touch[name]), ", ")
}

func access(read, write bool) string {
	switch {
	case read && write:
		return "rw"
	case read:
		return "ro"
	}
	return "wo"
}

func effects(f *model.Field) string {
	var out []string
	if f.RC {
		out = append(out, "cleared by reading (rc)")
	}
	if f.W1C {
		out = append(out, "write 1 to clear (w1c)")
	}
	if f.Trigger {
		out = append(out, "trigger: acts when written, not stored")
	}
	return strings.Join(out, "; ")
}

// constText spells a constant as the spec does.
func constText(m *model.Model, name string, v uint64) string {
	for _, it := range m.Spec.Device.Device.Items {
		if c := it.Const; c != nil && c.Name == name && c.Value.Kind == dsl.NumberExpr && c.Value.Text != "" {
			return c.Value.Text
		}
	}
	return fmt.Sprint(v)
}

// docAbove is the paragraph of // comments directly above line.
func docAbove(file *dsl.File, line int) string {
	lines := strings.Split(string(file.Src), "\n")
	var parts []string
	for l := line - 1; l >= 1; l-- {
		t := strings.TrimSpace(lines[l-1])
		if !strings.HasPrefix(t, "//") {
			break
		}
		parts = append([]string{strings.TrimSpace(strings.TrimPrefix(t, "//"))}, parts...)
	}
	return strings.Join(parts, " ")
}

// trailingComment is the // comment at the end of line, if any.
func trailingComment(file *dsl.File, line int) string {
	for _, c := range file.Comments {
		if c.Pos.Line == line {
			lines := strings.Split(string(file.Src), "\n")
			if !strings.HasPrefix(strings.TrimSpace(lines[line-1]), "//") {
				return strings.TrimSpace(strings.TrimPrefix(c.Text, "//"))
			}
		}
	}
	return ""
}

// source is the spec text from offset start to the end of the line holding
// end (or to the brace that closes the declaration when end < 0).
func source(file *dsl.File, start, end int) string {
	src := string(file.Src)
	if start < 0 || start >= len(src) {
		return ""
	}
	if end < 0 {
		depth := 0
		for i := start; i < len(src); i++ {
			switch src[i] {
			case '{':
				depth++
			case '}':
				depth--
				if depth == 0 {
					end = i
				}
			}
			if end >= 0 {
				break
			}
		}
	}
	if end < start || end >= len(src) {
		end = len(src) - 1
	}
	if nl := strings.IndexByte(src[end:], '\n'); nl >= 0 {
		end += nl
	} else {
		end = len(src)
	}
	// Start at the beginning of the line, to keep the indentation.
	for start > 0 && src[start-1] != '\n' {
		start--
	}
	return dedent(src[start:end])
}

func dedent(s string) string {
	lines := strings.Split(s, "\n")
	indent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, "\t "))
		if indent < 0 || n < indent {
			indent = n
		}
	}
	for i, l := range lines {
		if len(l) >= indent && indent > 0 {
			lines[i] = l[indent:]
		}
	}
	return strings.Join(lines, "\n")
}

// Markdown renders the reference as Markdown.
func (r *Reference) Markdown() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s register reference\n\n", r.model().Name)
	fmt.Fprintf(&b, "Generated by `drvsynth doc` from `%s`. Do not edit.\n\n", r.spec)
	var write func(s section, level int)
	write = func(s section, level int) {
		fmt.Fprintf(&b, "%s <a id=\"%s\"></a>%s\n\n", strings.Repeat("#", level), s.id, s.title)
		for _, p := range s.text {
			b.WriteString(p + "\n\n")
		}
		for _, t := range s.tables {
			b.WriteString("| " + strings.Join(t.head, " | ") + " |\n|")
			for range t.head {
				b.WriteString(" --- |")
			}
			b.WriteString("\n")
			for _, row := range t.rows {
				cells := make([]string, len(row))
				for i, c := range row {
					cells[i] = strings.ReplaceAll(strings.ReplaceAll(c, "|", `\|`), "\n", " ")
				}
				b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
			}
			b.WriteString("\n")
		}
		if s.code != "" {
			b.WriteString("```\n" + s.code + "\n```\n\n")
		}
		for _, p := range s.pics {
			fmt.Fprintf(&b, "### %s\n\n", p.Title)
			if strings.HasSuffix(p.File, ".svg") {
				fmt.Fprintf(&b, "![%s](%s)\n\n", p.Title, p.File)
			} else {
				fmt.Fprintf(&b, "[%s](%s) (DOT; install Graphviz for pictures: `%s`)\n\n", p.File, p.File, DotInstall)
			}
		}
		for _, sub := range s.sub {
			write(sub, level+1)
		}
	}
	for _, s := range r.sections() {
		write(s, 2)
	}
	return b.Bytes()
}

const css = `body{font-family:Helvetica,Arial,sans-serif;margin:2em auto;max-width:72em;color:#222;line-height:1.4}
table{border-collapse:collapse;margin:.8em 0}th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#eef}code,pre{font-family:Menlo,Consolas,monospace;font-size:90%}pre{background:#f6f6f6;padding:.6em;overflow-x:auto}
nav{float:right;border:1px solid #ccc;padding:.5em 1em;margin:0 0 1em 1em;background:#fafafa}figure{margin:1em 0}figure svg{max-width:100%;height:auto}`

// HTML renders the reference as one self-contained page: the pictures are
// inlined.
func (r *Reference) HTML() []byte {
	var b bytes.Buffer
	name := html.EscapeString(r.model().Name)
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s register reference</title>\n<style>%s</style>\n</head>\n<body>\n", name, css)
	fmt.Fprintf(&b, "<h1>%s register reference</h1>\n<p>Generated by <code>drvsynth doc</code> from <code>%s</code>. Do not edit.</p>\n", name, html.EscapeString(r.spec))
	secs := r.sections()
	b.WriteString("<nav><strong>Contents</strong><ul>\n")
	for _, s := range secs {
		fmt.Fprintf(&b, "<li><a href=\"#%s\">%s</a></li>\n", s.id, html.EscapeString(s.title))
	}
	b.WriteString("</ul></nav>\n")
	var write func(s section, level int)
	write = func(s section, level int) {
		fmt.Fprintf(&b, "<section id=\"%s\">\n<h%d>%s</h%d>\n", s.id, level, html.EscapeString(s.title), level)
		for _, p := range s.text {
			fmt.Fprintf(&b, "<p>%s</p>\n", html.EscapeString(p))
		}
		for _, t := range s.tables {
			fmt.Fprintf(&b, "<table id=\"%s\">\n<tr>", t.id)
			for _, h := range t.head {
				fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(h))
			}
			b.WriteString("</tr>\n")
			for _, row := range t.rows {
				b.WriteString("<tr>")
				for _, c := range row {
					fmt.Fprintf(&b, "<td>%s</td>", cellHTML(c))
				}
				b.WriteString("</tr>\n")
			}
			b.WriteString("</table>\n")
		}
		if s.code != "" {
			fmt.Fprintf(&b, "<pre><code>%s</code></pre>\n", html.EscapeString(s.code))
		}
		for _, p := range s.pics {
			fmt.Fprintf(&b, "<figure>\n<figcaption>%s</figcaption>\n", html.EscapeString(p.Title))
			if len(p.SVG) > 0 {
				b.Write(stripXMLProlog(p.SVG))
			} else {
				fmt.Fprintf(&b, "<p><a href=\"%s\">%s</a> (DOT; install Graphviz for pictures: <code>%s</code>)</p>", html.EscapeString(p.File), html.EscapeString(p.File), DotInstall)
			}
			b.WriteString("\n</figure>\n")
		}
		for _, sub := range s.sub {
			write(sub, level+1)
		}
		b.WriteString("</section>\n")
	}
	for _, s := range secs {
		write(s, 2)
	}
	b.WriteString("</body>\n</html>\n")
	return b.Bytes()
}

// cellHTML escapes a table cell, turning the Markdown links the register
// map uses ([LCR](#reg-LCR)) into HTML ones.
func cellHTML(c string) string {
	if strings.HasPrefix(c, "[") && strings.Contains(c, "](#") && strings.HasSuffix(c, ")") {
		i := strings.Index(c, "](")
		return fmt.Sprintf("<a href=\"%s\">%s</a>", html.EscapeString(c[i+2:len(c)-1]), html.EscapeString(c[1:i]))
	}
	return html.EscapeString(c)
}

// stripXMLProlog drops what precedes <svg in Graphviz output (the XML
// declaration and doctype), which HTML does not want inline.
func stripXMLProlog(svg []byte) []byte {
	if i := bytes.Index(svg, []byte("<svg")); i >= 0 {
		return svg[i:]
	}
	return svg
}
