// Package harness is sandhost's benchmark harness: every scenario of issue 9
// beside the baselines a user would pick instead, measured in the same run,
// written as one JSON file (the schema is schema.json), a Markdown table and
// SVG charts. `make bench` and `host bench` run it; bench/README.md shows a
// full run and what each scenario means for a user.
//
// Every figure is a ratio to the baselines of its group, measured in the
// same run on the same machine: a ratio from one run is meaningful, an
// absolute figure only beside the machine description the run records.
package harness
