// A plugin in C, freestanding (no libc: clang alone builds it), on
// Extism's kernel ABI, module "extism:host/env". Exports:
//   noop    does nothing (the benchmarks' floor)
//   echo    output = input
//   length  output = the input's length in bytes, as decimal text
// Build (plugins/wasm/wasmtest does): clang-19 --target=wasm32 -O2
// -nostdlib -Wl,--no-entry echo.c (export_name exports the functions).
#include <stdint.h>

#define IMPORT(name) __attribute__((import_module("extism:host/env"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

IMPORT("input_length") uint64_t input_length(void);
IMPORT("input_load_u8") uint8_t input_load_u8(uint64_t offset);
IMPORT("input_load_u64") uint64_t input_load_u64(uint64_t offset);
IMPORT("alloc") uint64_t alloc(uint64_t length);
IMPORT("store_u8") void store_u8(uint64_t offset, uint8_t value);
IMPORT("store_u64") void store_u64(uint64_t offset, uint64_t value);
IMPORT("output_set") void output_set(uint64_t offset, uint64_t length);

EXPORT("noop") int32_t noop(void) { return 0; }

EXPORT("echo") int32_t echo(void) {
	uint64_t n = input_length();
	uint64_t out = alloc(n);
	uint64_t i = 0;
	for (; i + 8 <= n; i += 8) store_u64(out + i, input_load_u64(i));
	for (; i < n; i++) store_u8(out + i, input_load_u8(i));
	output_set(out, n);
	return 0;
}

EXPORT("length") int32_t length(void) {
	uint64_t n = input_length();
	char digits[20];
	int k = 0;
	do {
		digits[k++] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	uint64_t out = alloc((uint64_t)k);
	for (int i = 0; i < k; i++) store_u8(out + (uint64_t)i, (uint8_t)digits[k - 1 - i]);
	output_set(out, (uint64_t)k);
	return 0;
}
