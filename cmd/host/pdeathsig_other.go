//go:build !linux

package main

import "os/exec"

// setParentDeathSignal does nothing: only Linux signals a child when its
// parent dies.
func setParentDeathSignal(*exec.Cmd) {}
