package review

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/drvsynth/drvsynth/synth/solve"
)

// Graphs returns the device's state machine and, for each method (or only
// the one named method; "fsm" names the machine), its strategy.
func Graphs(res *solve.Result, method string) ([]*Graph, error) {
	var out []*Graph
	if method == "" || method == "fsm" {
		fsm, err := DeviceFSM(res.Model)
		if err != nil {
			return nil, err
		}
		out = append(out, fsm)
	}
	for _, st := range res.Methods {
		if method == "" || method == st.Method.Name {
			out = append(out, StrategyGraph(res.Model, st))
		}
	}
	if len(out) == 0 {
		var names []string
		for _, st := range res.Methods {
			names = append(names, st.Method.Name)
		}
		return nil, fmt.Errorf("%s has no method %s (it has fsm, %v)", res.Model.Name, method, names)
	}
	return out, nil
}

// FileName is where WriteGraphs puts a graph, without extension.
func (g *Graph) FileName() string { return g.Name }

// WriteGraphs writes each graph into dir as NAME.dot and, when Graphviz is
// installed, NAME.svg. It returns the pictures written, for a Reference.
func WriteGraphs(ctx context.Context, dir string, graphs []*Graph) ([]Picture, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	dot := HaveDot()
	var pics []Picture
	for _, g := range graphs {
		src := g.DOT()
		file := g.FileName() + ".dot"
		if err := os.WriteFile(filepath.Join(dir, file), []byte(src), 0o644); err != nil {
			return nil, err
		}
		p := Picture{Title: g.Title, File: file}
		if dot {
			svg, err := SVG(ctx, src)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", g.Name, err)
			}
			p.File, p.SVG = g.FileName()+".svg", svg
			if err := os.WriteFile(filepath.Join(dir, p.File), svg, 0o644); err != nil {
				return nil, err
			}
		}
		pics = append(pics, p)
	}
	return pics, nil
}
