/* sandhost's embedding entry point for CPython on wasm32-wasi (reactor).
 *
 * The host calls exported functions instead of talking over stdin/stdout, so
 * nothing user code prints, reads or writes can reach the channel:
 *
 *   sandhost_init()                  start CPython once; 0 on success
 *   sandhost_alloc(n) / sandhost_free(p)
 *   sandhost_exec(ptr, len, cap)     run UTF-8 source in the persistent
 *                                    __main__; returns a pointer to
 *                                    [u32 length][result bytes] (see the
 *                                    prelude), freed by the host
 *   sandhost_reseed()                new hash-independent random state after a
 *                                    snapshot restore
 */
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static PyObject *run_fn;    /* sandhost prelude's _run(source, cap) -> bytes */
static PyObject *reseed_fn; /* sandhost prelude's _reseed() */

static const char prelude[] =
"import sys, io, traceback, struct\n"
"class _Cap(io.TextIOBase):\n"
"    # A text sink that keeps at most cap characters and remembers overflow.\n"
"    def __init__(self, cap):\n"
"        self.parts = []; self.n = 0; self.cap = cap; self.over = False\n"
"    def writable(self): return True\n"
"    def write(self, s):\n"
"        if not isinstance(s, str): raise TypeError('write() argument must be str, not ' + type(s).__name__)\n"
"        room = self.cap - self.n\n"
"        if len(s) > room:\n"
"            self.over = True\n"
"            s = s[:max(room, 0)]\n"
"        if s:\n"
"            self.parts.append(s); self.n += len(s)\n"
"        return len(s)\n"
"    def value(self): return ''.join(self.parts)\n"
"_main = sys.modules['__main__'].__dict__\n"
"def _enc(s): return s.encode('utf-8', 'backslashreplace')\n"
"def _run(src, cap):\n"
"    # Result: i32 kind (0 ok, 1 exception, 2 SystemExit), i32 exit code,\n"
"    # u32 flags (1 stdout truncated, 2 stderr truncated), then stdout and\n"
"    # stderr, each as u32 length + UTF-8 bytes.\n"
"    out, err = _Cap(cap), _Cap(cap)\n"
"    so, se = sys.stdout, sys.stderr\n"
"    sys.stdout, sys.stderr = out, err\n"
"    kind, code = 0, 0\n"
"    try:\n"
"        exec(compile(src, '<code>', 'exec'), _main)\n"
"    except SystemExit as e:\n"
"        kind = 2\n"
"        c = e.code\n"
"        if c is None: code = 0\n"
"        elif isinstance(c, int): code = c & 0x7fffffff\n"
"        else:\n"
"            err.write(str(c) + '\\n'); code = 1\n"
"    except BaseException as e:\n"
"        kind, code = 1, 1\n"
"        try:\n"
"            err.write('Error: ' + str(e) + '\\nTraceback:\\n' + traceback.format_exc())\n"
"        except BaseException:\n"
"            err.write('Error: ' + type(e).__name__ + '\\n')\n"
"    finally:\n"
"        try: sys.stdout.flush()\n"
"        except BaseException: pass\n"
"        sys.stdout, sys.stderr = so, se\n"
"    o, e2 = _enc(out.value()), _enc(err.value())\n"
"    flags = (1 if out.over else 0) | (2 if err.over else 0)\n"
"    return struct.pack('<iiII', kind, code, flags, len(o)) + o + struct.pack('<I', len(e2)) + e2\n"
"def _reseed():\n"
"    import random, os\n"
"    random.seed(os.urandom(32))\n"
"import json, re, collections, math, random\n";

__attribute__((export_name("sandhost_alloc")))
void *sandhost_alloc(uint32_t n) { return malloc(n ? n : 1); }

__attribute__((export_name("sandhost_free")))
void sandhost_free(void *p) { free(p); }

__attribute__((export_name("sandhost_init")))
int32_t sandhost_init(void) {
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    config.install_signal_handlers = 0;
    config.write_bytecode = 0;
    config.site_import = 0;
    config.buffered_stdio = 0;
    PyStatus st = PyConfig_SetString(&config, &config.home, L"/usr/local");
    if (!PyStatus_Exception(st)) st = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(st)) return 1;

    PyObject *mod = PyImport_AddModule("__sandhost__");
    if (!mod) return 2;
    PyObject *g = PyModule_GetDict(mod);
    PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins());
    PyObject *r = PyRun_String(prelude, Py_file_input, g, g);
    if (!r) { PyErr_Print(); return 3; }
    Py_DECREF(r);
    run_fn = PyDict_GetItemString(g, "_run");
    reseed_fn = PyDict_GetItemString(g, "_reseed");
    if (!run_fn || !reseed_fn) return 4;
    Py_INCREF(run_fn);
    Py_INCREF(reseed_fn);
    return 0;
}

static uint8_t *pack(const char *data, Py_ssize_t n) {
    uint8_t *buf = malloc((size_t)n + 4);
    if (!buf) return NULL;
    uint32_t len = (uint32_t)n;
    memcpy(buf, &len, 4);
    memcpy(buf + 4, data, (size_t)n);
    return buf;
}

__attribute__((export_name("sandhost_exec")))
uint8_t *sandhost_exec(const char *src, uint32_t len, uint32_t cap) {
    PyObject *code = PyUnicode_DecodeUTF8(src, len, "replace");
    if (!code) { PyErr_Clear(); return NULL; }
    PyObject *res = PyObject_CallFunction(run_fn, "OI", code, cap);
    Py_DECREF(code);
    if (!res) {
        /* Only a failure of the harness itself lands here (e.g. MemoryError
         * while packing the result). */
        PyErr_Clear();
        return NULL;
    }
    char *data;
    Py_ssize_t n;
    uint8_t *out = NULL;
    if (PyBytes_AsStringAndSize(res, &data, &n) == 0) out = pack(data, n);
    else PyErr_Clear();
    Py_DECREF(res);
    return out;
}

__attribute__((export_name("sandhost_reseed")))
int32_t sandhost_reseed(void) {
    PyObject *r = PyObject_CallNoArgs(reseed_fn);
    if (!r) { PyErr_Clear(); return 1; }
    Py_DECREF(r);
    return 0;
}
