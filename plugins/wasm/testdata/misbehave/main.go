// Command misbehave is a test plugin: each export fails in one way the
// host must survive, or uses one host function.
package main

import (
	"os"
	"strconv"
	"strings"

	"github.com/extism/go-pdk"

	"github.com/sandhost/sandhost/plugins/wasm/guest"
)

//go:wasmexport ok
func ok() int32 { pdk.Output(pdk.Input()); return 0 }

//go:wasmexport fail
func fail() int32 { pdk.SetErrorString("refused: " + pdk.InputString()); return 1 }

//go:wasmexport trap
func trap() int32 { panic("boom") }

var sink int

//go:wasmexport loop
func loop() int32 {
	for {
		sink++
	}
}

var hoard [][]byte

//go:wasmexport hog
func hog() int32 {
	for {
		hoard = append(hoard, make([]byte, 1<<20))
	}
}

// noisyhog logs more than a call's error keeps of stderr, as a plugin that
// logs its progress does, then runs out of memory.
//
//go:wasmexport noisyhog
func noisyhog() int32 {
	for i := range 100 {
		os.Stderr.WriteString("item " + strconv.Itoa(i) + " " + strings.Repeat(".", 100) + "\n")
	}
	return hog()
}

// call calls the service and method named in the config's "service" and
// "method" with the input, and returns the reply.
//
//go:wasmexport call
func call() int32 {
	svc, _ := pdk.GetConfig("service")
	m, _ := pdk.GetConfig("method")
	out, err := guest.Call(svc, m, pdk.Input())
	if err != nil {
		pdk.SetError(err)
		return 1
	}
	pdk.Output(out)
	return 0
}

// read returns the file named by the input, as the guest sees the file
// system (the manifest's allowed paths; nothing by default).
//
//go:wasmexport read
func read() int32 {
	b, err := os.ReadFile(pdk.InputString())
	if err != nil {
		pdk.SetError(err)
		return 1
	}
	pdk.Output(b)
	return 0
}

func main() {}
