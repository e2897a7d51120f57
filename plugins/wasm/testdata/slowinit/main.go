// Command slowinit is a test plugin that is slow to start: its package init
// calls the service named in the config's "service" (method "start") and
// waits for the reply, as a plugin that loads its data at start would.
package main

import (
	"github.com/extism/go-pdk"

	"github.com/sandhost/sandhost/plugins/wasm/guest"
)

func init() {
	svc, _ := pdk.GetConfig("service")
	if _, err := guest.Call(svc, "start", nil); err != nil {
		panic(err)
	}
}

//go:wasmexport ok
func ok() int32 { pdk.Output(pdk.Input()); return 0 }

//go:wasmexport trap
func trap() int32 { panic("boom") }

func main() {}
