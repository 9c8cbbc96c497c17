// Package review draws what a reviewer needs to check a synthesized driver
// without reading solver notation: the device's finite state machine and
// each method's strategy as Graphviz graphs, and a register reference (in
// the manner of PeakRDL's documentation) in Markdown and HTML.
package review

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Graph is a directed graph ready to print as DOT.
type Graph struct {
	Name  string
	Title string
	Nodes []*Node
	Edges []*Edge
	// Note is shown under the title (what was left out, and why).
	Note string
}

// Node is one vertex: an ID unique in its graph, and its text.
type Node struct {
	ID    string
	Label string
	// Kind picks the drawing: "start", "goal", "fault", "state" or "".
	Kind string
}

// Edge is one arrow. Kind picks the drawing: "fair" (a transition the
// device is bound to take), "unfair" (one it may take), "input" (the
// outside world), "driver" (a driver access), "loop" (a poll repeating).
type Edge struct {
	From, To string
	Label    string
	Kind     string
}

// DOT prints g in the Graphviz language.
func (g *Graph) DOT() string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", quote(g.Name))
	title := g.Title
	if g.Note != "" {
		title += "\n" + g.Note
	}
	fmt.Fprintf(&b, "\tlabel=%s; labelloc=t; fontname=\"Helvetica\";\n", quote(title))
	// Bounded crossing minimization: large machines lay out in seconds.
	b.WriteString("\tnslimit=4; mclimit=0.5;\n")
	b.WriteString("\tnode [fontname=\"Helvetica\" fontsize=10 shape=box style=rounded];\n")
	b.WriteString("\tedge [fontname=\"Helvetica\" fontsize=9];\n")
	for _, n := range g.Nodes {
		attrs := []string{"label=" + quote(n.Label)}
		switch n.Kind {
		case "start":
			attrs = append(attrs, "style=\"rounded,bold\"", "penwidth=2")
		case "goal":
			attrs = append(attrs, "style=\"rounded,filled\"", "fillcolor=\"#d8f0d8\"")
		case "fault":
			attrs = append(attrs, "style=\"rounded,filled\"", "fillcolor=\"#f6d5d5\"")
		}
		fmt.Fprintf(&b, "\t%s [%s];\n", quote(n.ID), strings.Join(attrs, " "))
	}
	for _, e := range g.Edges {
		attrs := []string{"label=" + quote(e.Label)}
		switch e.Kind {
		case "unfair":
			attrs = append(attrs, "style=dashed", "color=\"#b04040\"")
		case "input":
			attrs = append(attrs, "style=dotted", "color=\"#4060b0\"")
		case "driver":
			attrs = append(attrs, "color=\"#206020\"")
		case "loop":
			attrs = append(attrs, "style=dashed")
		}
		fmt.Fprintf(&b, "\t%s -> %s [%s];\n", quote(e.From), quote(e.To), strings.Join(attrs, " "))
	}
	b.WriteString("}\n")
	return b.String()
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// DotInstall is how to get Graphviz on Debian, for messages.
const DotInstall = "apt-get install -y graphviz"

// HaveDot reports whether Graphviz's dot is on the PATH.
func HaveDot() bool {
	_, err := exec.LookPath("dot")
	return err == nil
}

// SVG renders DOT source with Graphviz's dot.
func SVG(ctx context.Context, dot string) ([]byte, error) {
	path, err := exec.LookPath("dot")
	if err != nil {
		return nil, fmt.Errorf("graphviz is not installed (%s): %w", DotInstall, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "-Tsvg")
	cmd.Stdin = strings.NewReader(dot)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("dot: %v: %s", err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

func at(file string, line int) string { return fmt.Sprintf("%s:%d", filepath.Base(file), line) }

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
