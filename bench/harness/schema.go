package harness

import _ "embed"

// Schema is the JSON Schema (draft 2020-12) of result.json: a Result.
//
//go:embed schema.json
var Schema []byte
