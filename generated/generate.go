// Package generated holds the drivers drvsynth synthesizes, one package per
// device. Nothing here is written by hand: "go generate ./..." (or
// "drvsynth synth") rewrites every package listed in drivers.txt.
package generated

//go:generate go run ../cmd/drvsynth synth
