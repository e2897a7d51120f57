// A plugin whose builds answer differently: the drop-in tests swap one
// build for another under load and tell by the answers which one served.
// C, freestanding, on Extism's kernel ABI (as plugins/wasm/examples/c-echo).
// Exports:
//   version  output = VERSION (a -D define of the build, default 1)
//   echo     output = input
#include <stdint.h>

#ifndef VERSION
#define VERSION 1
#endif
#define TEXT(x) #x
#define STRING(x) TEXT(x)

#define IMPORT(name) __attribute__((import_module("extism:host/env"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

IMPORT("input_length") uint64_t input_length(void);
IMPORT("input_load_u8") uint8_t input_load_u8(uint64_t offset);
IMPORT("alloc") uint64_t alloc(uint64_t length);
IMPORT("store_u8") void store_u8(uint64_t offset, uint8_t value);
IMPORT("output_set") void output_set(uint64_t offset, uint64_t length);

static void output(const char *s, uint64_t n) {
	uint64_t out = alloc(n);
	for (uint64_t i = 0; i < n; i++) store_u8(out + i, (uint8_t)s[i]);
	output_set(out, n);
}

EXPORT("version") int32_t version(void) {
	static const char v[] = STRING(VERSION);
	output(v, sizeof v - 1);
	return 0;
}

EXPORT("echo") int32_t echo(void) {
	uint64_t n = input_length();
	uint64_t out = alloc(n);
	for (uint64_t i = 0; i < n; i++) store_u8(out + i, input_load_u8(i));
	output_set(out, n);
	return 0;
}
