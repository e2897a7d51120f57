package dropin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sandhost/sandhost/plugins/wasm"
	"github.com/sandhost/sandhost/registry"
)

// manifestExts are the extensions of a plugin's optional settings file,
// beside NAME.wasm.
var manifestExts = []string{".yaml", ".yml", ".json"}

// parseManifest reads a settings file: the wasm factory's Args in YAML or
// JSON, less the module, which is the NAME.wasm beside it. Unknown fields
// are errors: a misspelt "instances" would otherwise be ignored silently.
// Relative host paths in allowed_paths are relative to dir.
func parseManifest(dir, file string, b []byte) (wasm.Args, error) {
	var a wasm.Args
	raw := b
	if filepath.Ext(file) != ".json" {
		var v any
		if err := yaml.Unmarshal(b, &v); err != nil {
			return a, fmt.Errorf("%w: %v", registry.ErrInvalid, err)
		}
		if v == nil { // an empty file: the defaults
			return a, nil
		}
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return a, fmt.Errorf("%w: %v", registry.ErrInvalid, err)
		}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return a, fmt.Errorf("%w: want a mapping of the wasm factory's args: %v", registry.ErrInvalid, err)
	}
	for _, k := range []string{"module", "module_sha256"} {
		if _, ok := fields[k]; ok {
			return a, fmt.Errorf("%w: %q is not a setting here: the module is the .wasm file beside it", registry.ErrInvalid, k)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return a, fmt.Errorf("%w: %v", registry.ErrInvalid, err)
	}
	if len(a.AllowedPaths) > 0 {
		paths := make(map[string]string, len(a.AllowedPaths))
		for host, guest := range a.AllowedPaths {
			paths[relativeTo(dir, host)] = guest
		}
		a.AllowedPaths = paths
	}
	return a, nil
}

// relativeTo makes a host path of allowed_paths ("ro:" before it:
// read-only) absolute, from dir when it is relative.
func relativeTo(dir, host string) string {
	ro, path := "", host
	if p, ok := strings.CutPrefix(host, "ro:"); ok {
		ro, path = "ro:", p
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	return ro + path
}
