/* sandhost's embedding entry point for CPython on wasm32-wasi (reactor).
 *
 * The host calls exported functions instead of talking over stdin/stdout, so
 * nothing user code prints, reads or writes can reach the channel:
 *
 *   sandhost_init(ptr, len)          start CPython once and run the host's
 *                                    harness source (defines _run and
 *                                    _reseed); 0 on success
 *   sandhost_alloc(n) / sandhost_free(p)
 *   sandhost_exec(ptr, len, cap)     run UTF-8 source in the persistent
 *                                    __main__; returns a pointer to
 *                                    [u32 length][result bytes] (see the
 *                                    prelude), freed by the host
 *   sandhost_reseed()                new hash-independent random state after a
 *                                    snapshot restore
 */
#include <Python.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* SQLite's locks. On WASI it defaults to dot-file locking, where any lock
 * (even a reader's) excludes every other connection: two connections to one
 * database in /tmp fail with "database is locked" where natively they work.
 * A guest is one process with its own /tmp, and POSIX advisory locks only
 * ever conflict with other processes, so the "unix" VFS (POSIX locks) gets
 * every lock it asks for at once: what remains is SQLite's own bookkeeping
 * between the process's connections (shared readers, one writer), exactly
 * as natively. wasi-libc has no lock commands; these are the numbers SQLite
 * uses in their place (os_unix.c). */
#ifndef F_RDLCK
# define F_UNLCK 2
# if __LONG_MAX == 0x7fffffffL
#  define F_GETLK 12
#  define F_SETLK 13
#  define F_SETLKW 14
# else
#  define F_GETLK 5
#  define F_SETLK 6
#  define F_SETLKW 7
# endif
#endif

static int (*libc_fcntl)(int, int, ...);

static int sandhost_fcntl(int fd, int cmd, ...) {
    va_list ap;
    va_start(ap, cmd);
    if (cmd == F_GETLK || cmd == F_SETLK || cmd == F_SETLKW) {
        struct flock *lk = va_arg(ap, struct flock *);
        va_end(ap);
        if (cmd == F_GETLK) lk->l_type = F_UNLCK; /* no other process holds one */
        return 0;
    }
    int arg = va_arg(ap, int); /* SQLite's other commands take an int */
    va_end(ap);
    return libc_fcntl(fd, cmd, arg);
}

static void sqlite_process_locks(void) {
    sqlite3_vfs *vfs = sqlite3_vfs_find("unix");
    if (!vfs) return;
    libc_fcntl = (int (*)(int, int, ...))vfs->xGetSystemCall(vfs, "fcntl");
    if (!libc_fcntl || vfs->xSetSystemCall(vfs, "fcntl", (sqlite3_syscall_ptr)sandhost_fcntl) != SQLITE_OK) return;
    sqlite3_vfs_register(vfs, 1); /* the default */
}

/* The harness is Python source sent by the host (pyexec/harness.py), so it
 * can change without rebuilding CPython. */
static PyObject *run_fn;    /* harness _run(source, cap) -> bytes */
static PyObject *reseed_fn; /* harness _reseed() */

/* The isolated model's leak check compares every module's names with what
 * they were (pyexec/harness.py, _change): about 5,400 values in 108 modules,
 * 117 us a call, and milliseconds with large packages preloaded. A dict
 * watcher on the module dicts says whether any changed since the last look,
 * so a call that changed none skips the comparison. Module _sandhost_watch:
 * watch(d) watches dict d; changed() says whether a watched dict, or
 * sys.modules other than its '__main__' entry (which the harness swaps),
 * changed since the last changed(), and starts over. */
static int watcher_id = -1;
static int watched_changed;
static PyObject *sys_modules; /* borrowed: the interpreter's own */

static int on_watched_change(PyDict_WatchEvent event, PyObject *dict, PyObject *key, PyObject *value) {
    (void)event; (void)value;
    if (dict == sys_modules && key && PyUnicode_Check(key) && PyUnicode_CompareWithASCIIString(key, "__main__") == 0)
        return 0;
    watched_changed = 1;
    return 0;
}

static PyObject *watch_watch(PyObject *self, PyObject *d) {
    (void)self;
    if (!PyDict_Check(d)) {
        PyErr_SetString(PyExc_TypeError, "watch() takes a dict");
        return NULL;
    }
    if (PyDict_Watch(watcher_id, d) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *watch_changed(PyObject *self, PyObject *unused) {
    (void)self; (void)unused;
    int c = watched_changed;
    watched_changed = 0;
    return PyBool_FromLong(c);
}

/* What no dict holds, a later isolated call could still see: an attribute
 * set on a class that existed before the call (json.JSONEncoder.default =
 * ...), a function's code or defaults replaced, an audit hook or a
 * sys.monitoring callback installed. A type watcher sees the first (CPython
 * calls it only for a type with a version tag, so watch_types assigns one),
 * an audit hook the rest; both only note it, for altered() to say.
 * begin(ns) names the namespace of the isolated call under way (its own
 * functions may change), end() closes it. */
static int type_watcher_id = -1;
static int altered_flag;
static PyObject *call_ns; /* borrowed from the harness, between begin and end */

static int on_type_change(PyTypeObject *type) {
    (void)type;
    altered_flag = 1;
    return 0;
}

static int on_audit(const char *event, PyObject *args, void *data) {
    (void)data;
    if (!call_ns) return 0;
    if (strcmp(event, "object.__setattr__") == 0 || strcmp(event, "object.__delattr__") == 0) {
        /* Raised for a function's code and defaults, a module's or any
         * object's __class__, and a class's special attributes (which
         * namedtuple sets on the class it makes: classes are the type
         * watcher's). */
        PyObject *o = args && PyTuple_Check(args) && PyTuple_GET_SIZE(args) > 0 ? PyTuple_GET_ITEM(args, 0) : NULL;
        if (o && ((PyFunction_Check(o) && PyFunction_GET_GLOBALS(o) != call_ns) || PyModule_Check(o)))
            altered_flag = 1;
    } else if (strcmp(event, "sys.addaudithook") == 0 || strcmp(event, "sys.monitoring.register_callback") == 0) {
        altered_flag = 1;
    }
    return 0;
}

static PyObject *watch_types(PyObject *self, PyObject *list) {
    (void)self;
    if (!PyList_Check(list)) {
        PyErr_SetString(PyExc_TypeError, "watch_types() takes a list");
        return NULL;
    }
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        PyObject *t = PyList_GET_ITEM(list, i);
        if (!PyType_Check(t) || PyType_HasFeature((PyTypeObject *)t, Py_TPFLAGS_IMMUTABLETYPE)) continue;
        if (!PyUnstable_Type_AssignVersionTag((PyTypeObject *)t)) continue;
        if (PyType_Watch(type_watcher_id, t) < 0) return NULL;
        n++;
    }
    return PyLong_FromSsize_t(n);
}

static PyObject *watch_begin(PyObject *self, PyObject *ns) {
    (void)self;
    call_ns = ns;
    Py_RETURN_NONE;
}

static PyObject *watch_end(PyObject *self, PyObject *unused) {
    (void)self; (void)unused;
    call_ns = NULL;
    Py_RETURN_NONE;
}

static PyObject *watch_altered(PyObject *self, PyObject *unused) {
    (void)self; (void)unused;
    int c = altered_flag;
    altered_flag = 0;
    return PyBool_FromLong(c);
}

/* same(d, t): whether dict d's values are the items of tuple t, object by
 * object (the isolated model's check: a name rebound is a change whatever
 * its new value's __eq__ says, and no code of the guest's runs here). */
static PyObject *watch_same(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 2 || !PyTuple_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "same(dict or tuple, tuple)");
        return NULL;
    }
    PyObject *a = args[0], *t = args[1];
    Py_ssize_t n = PyTuple_GET_SIZE(t);
    if (PyDict_Check(a)) {
        if (PyDict_GET_SIZE(a) != n) Py_RETURN_FALSE;
        Py_ssize_t pos = 0, i = 0;
        PyObject *value;
        while (PyDict_Next(a, &pos, NULL, &value)) {
            if (i >= n || value != PyTuple_GET_ITEM(t, i)) Py_RETURN_FALSE;
            i++;
        }
        return PyBool_FromLong(i == n);
    }
    if (!PyTuple_Check(a)) {
        PyErr_SetString(PyExc_TypeError, "same(dict or tuple, tuple)");
        return NULL;
    }
    if (PyTuple_GET_SIZE(a) != n) Py_RETURN_FALSE;
    for (Py_ssize_t i = 0; i < n; i++)
        if (PyTuple_GET_ITEM(a, i) != PyTuple_GET_ITEM(t, i)) Py_RETURN_FALSE;
    Py_RETURN_TRUE;
}

static PyMethodDef watch_methods[] = {
    {"same", (PyCFunction)(void (*)(void))watch_same, METH_FASTCALL,
     "same(d, t): whether dict d's values (or tuple d's items) are t's items, by identity"},
    {"watch", watch_watch, METH_O, "watch(d): note any change to dict d"},
    {"changed", watch_changed, METH_NOARGS, "changed(): whether a watched dict changed since the last call"},
    {"watch_types", watch_types, METH_O, "watch_types(list): note any change to these classes; returns how many are watched"},
    {"begin", watch_begin, METH_O, "begin(ns): an isolated call with namespace ns runs"},
    {"end", watch_end, METH_NOARGS, "end(): it ended"},
    {"altered", watch_altered, METH_NOARGS, "altered(): whether a watched class, a function not a call's own, "
                                             "or a hook changed since the last call"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef watch_module = {PyModuleDef_HEAD_INIT, "_sandhost_watch", NULL, -1, watch_methods};

static int add_watch_module(void) {
    sys_modules = PyImport_GetModuleDict();
    watcher_id = PyDict_AddWatcher(on_watched_change);
    if (watcher_id < 0) return -1;
    type_watcher_id = PyType_AddWatcher(on_type_change);
    if (type_watcher_id < 0) return -1;
    if (PySys_AddAuditHook(on_audit, NULL) < 0) return -1;
    PyObject *m = PyModule_Create(&watch_module);
    if (!m) return -1;
    int r = PyDict_SetItemString(sys_modules, "_sandhost_watch", m);
    Py_DECREF(m);
    if (r < 0) return -1;
    return PyDict_Watch(watcher_id, sys_modules);
}

__attribute__((export_name("sandhost_alloc")))
void *sandhost_alloc(uint32_t n) { return malloc(n ? n : 1); }

__attribute__((export_name("sandhost_free")))
void sandhost_free(void *p) { free(p); }

__attribute__((export_name("sandhost_init")))
int32_t sandhost_init(const char *harness, uint32_t len) {
    sqlite_process_locks();
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

    if (add_watch_module() < 0) { PyErr_Print(); return 2; }
    PyObject *mod = PyImport_AddModule("__sandhost__");
    if (!mod) return 2;
    PyObject *g = PyModule_GetDict(mod);
    PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins());
    PyObject *src = PyUnicode_DecodeUTF8(harness, len, "strict");
    if (!src) { PyErr_Print(); return 3; }
    PyObject *code = Py_CompileStringObject(PyUnicode_AsUTF8(src), PyUnicode_FromString("<harness>"), Py_file_input, NULL, -1);
    Py_DECREF(src);
    if (!code) { PyErr_Print(); return 3; }
    PyObject *r = PyEval_EvalCode(code, g, g);
    Py_DECREF(code);
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
