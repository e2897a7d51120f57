// A test plugin in C (freestanding, as examples/c-echo) whose exports end an
// instance or rely on it living on:
//   incr  counts its calls on this instance; output = the count, decimal
//   trap  traps
//   quit  sets its output to "bye", then exits with status 0 (WASI
//         proc_exit, as C's exit(0) and Go's os.Exit(0) end)
#include <stdint.h>

#define IMPORT(name) __attribute__((import_module("extism:host/env"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

IMPORT("alloc") uint64_t alloc(uint64_t length);
IMPORT("store_u8") void store_u8(uint64_t offset, uint8_t value);
IMPORT("output_set") void output_set(uint64_t offset, uint64_t length);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_exit"))) void proc_exit(int32_t code);

static void output(const char *s, uint64_t n) {
	uint64_t out = alloc(n);
	for (uint64_t i = 0; i < n; i++) store_u8(out + i, (uint8_t)s[i]);
	output_set(out, n);
}

static uint32_t count;

EXPORT("incr") int32_t incr(void) {
	char buf[10];
	int i = sizeof buf;
	uint32_t n = ++count;
	do {
		buf[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	output(buf + i, sizeof buf - i);
	return 0;
}

EXPORT("trap") int32_t trap(void) { __builtin_trap(); }

EXPORT("quit") int32_t quit(void) {
	output("bye", 3);
	proc_exit(0);
	return 1; // not reached
}
