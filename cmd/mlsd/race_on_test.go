//go:build race

package main

// raceEnabled: the race detector slows go-graphviz's many Go↔WebAssembly
// calls about fifteenfold, so tests that only repeat what bot/graphviz's
// tests check draw fewer diagrams under it.
const raceEnabled = true
