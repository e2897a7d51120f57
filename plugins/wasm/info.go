package wasm

import (
	"context"
	"encoding/json"
)

// InfoMethod is the method every plugin service answers beside its
// exports, with its [Info] (`host plugins` asks it). The colon keeps it
// apart from the exports a plugin's author would name.
const InfoMethod = "sandhost:info"

// Info describes a running plugin.
type Info struct {
	Version   string   `json:"version"` // the module's sha256
	Functions []string `json:"functions"`
	Instances int      `json:"instances"` // the most busy at once
	Stats
}

// Info describes the plugin.
func (p *Plugin) Info() Info {
	return Info{Version: p.sum, Functions: p.Functions(), Instances: p.instances, Stats: p.Stats()}
}

func (p *Plugin) info(context.Context) ([]byte, error) { return json.Marshal(p.Info()) }
