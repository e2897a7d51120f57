package wasm

// Extism runs a guest runtime's initialisation (a WASI reactor's
// _initialize: Go's runtime and package init, 20–40 ms; or
// __wasm_call_ctors) lazily, inside an instance's first call and under that
// call's context, so the plugin's timeout counted it; its API has no way to
// run it earlier. The plugin renames those exports, which Extism finds by
// name, and runs the initialisation itself when it starts an instance.

// initExports are the exports Extism runs lazily, in the order it looks
// for them (it runs the first that takes no parameters), with the names
// the plugin gives them.
var initExports = [][2]string{
	{"_initialize", "_sandhost_initialize"},
	{"__wasm_call_ctors", "_sandhost_wasm_call_ctors"},
}

// hideInitExports returns the module with its initialisation exports
// renamed, and their new names in Extism's order. A module it cannot read
// is returned as it is, for the compile to say what is wrong; so is one
// with Haskell's hs_init, which Extism runs after _initialize, with
// parameters, and one where a new name is taken: Extism initialises those
// on the first call, as before.
func hideInitExports(module []byte) ([]byte, []string) {
	if len(module) < 8 || string(module[:4]) != "\x00asm" {
		return module, nil
	}
	for off := 8; off < len(module); {
		size, n := uleb(module[off+1:])
		start := off + 1 + n
		if n == 0 || size > len(module)-start {
			return module, nil
		}
		end := start + size
		if module[off] != 7 { // the export section
			off = end
			continue
		}
		payload, renamed := renameInitExports(module[start:end])
		if renamed == nil {
			return module, nil
		}
		out := append(make([]byte, 0, len(module)+32), module[:off]...)
		out = append(out, 7)
		out = appendULEB(out, len(payload))
		out = append(out, payload...)
		return append(out, module[end:]...), renamed
	}
	return module, nil
}

// renameInitExports rewrites an export section's payload; renamed is nil
// when it renamed nothing.
func renameInitExports(payload []byte) (out []byte, renamed []string) {
	type export struct {
		name string
		desc []byte // kind and index, as they were
	}
	count, n := uleb(payload)
	if n == 0 {
		return nil, nil
	}
	b := payload[n:]
	exports := make([]export, 0, min(count, len(b)))
	names := map[string]bool{}
	funcs := map[string]bool{}
	for range count {
		size, n := uleb(b)
		if n == 0 || size >= len(b)-n { // the name, then at least a kind byte
			return nil, nil
		}
		name := string(b[n : n+size])
		b = b[n+size:]
		_, m := uleb(b[1:]) // the index
		if m == 0 {
			return nil, nil
		}
		exports = append(exports, export{name, b[:1+m]})
		names[name] = true
		funcs[name] = b[0] == 0
		b = b[1+m:]
	}
	if len(b) != 0 || names["hs_init"] {
		return nil, nil
	}
	rename := map[string]string{}
	for _, e := range initExports {
		if names[e[1]] {
			return nil, nil
		}
		if funcs[e[0]] {
			rename[e[0]] = e[1]
			renamed = append(renamed, e[1])
		}
	}
	if renamed == nil {
		return nil, nil
	}
	out = appendULEB(make([]byte, 0, len(payload)+32), count)
	for _, e := range exports {
		name := e.name
		if to, ok := rename[name]; ok {
			name = to
		}
		out = appendULEB(out, len(name))
		out = append(out, name...)
		out = append(out, e.desc...)
	}
	return out, renamed
}

// uleb reads an unsigned 32-bit LEB128 number; n is 0 when there is none.
func uleb(b []byte) (v, n int) {
	for shift := 0; n < len(b) && n < 5; shift += 7 {
		c := b[n]
		n++
		v |= int(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, n
		}
	}
	return 0, 0
}

func appendULEB(b []byte, v int) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}
