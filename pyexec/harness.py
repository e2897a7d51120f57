# sandhost's harness, run once in each interpreter by sandhost_init. The host
# calls _run for every execution; it never talks over stdin/stdout, so
# nothing user code prints or reads can reach the channel. The protocol is
# described in pyexec/protocol.go, which also defines the constants used here
# (_KIND_*, _FLAG_*, _RESULT_HEADER) in lines it sends ahead of this file.
import sys, io, traceback, struct
# The builtins the harness uses, bound in its own module: code that rebinds
# builtins.len (or any of these) must not break the result of its call.
from builtins import (len, isinstance, issubclass, str, bytes, type, tuple, dict, set, frozenset, getattr, all,
                      any, map, zip, max, range, repr, bool, int, float, object, super, BaseException, SystemExit,
                      MemoryError, ValueError, OSError)
_pack = struct.pack  # code that rebinds struct.pack must not break its own result

class _Sink(io.RawIOBase):
    # The bytes under one standard stream during a call: at most cap kept,
    # cut at a character boundary, and the overflow remembered and dropped.
    def __init__(self, cap):
        self.start(cap)

    def start(self, cap):
        self.parts = []
        self.n = 0
        self.cap = cap
        self.over = False

    def writable(self):
        return True

    def write(self, b):
        if self.closed:
            raise ValueError('write to closed file')
        return self._keep(b)

    def _keep(self, b):
        # Also the harness's own reports, which reach the result even when
        # the code closed the stream.
        n = len(b)
        if self.over:
            return n
        room = self.cap - self.n
        if n > room:
            self.over = True
            k = room
            while k > 0 and b[k] & 0xC0 == 0x80:  # inside a UTF-8 sequence
                k -= 1
            b = b[:k]
        if b:
            self.parts.append(bytes(b))
            self.n += len(b)
        return n

    def take(self):
        # The call's bytes; the sink keeps nothing until the next call.
        b = b''.join(self.parts)
        self.parts = []
        return b

class _Text(io.TextIOWrapper):
    # A real text stream over a sink, as sys.stdout is natively: closing,
    # encoding, .buffer and reconfigure behave as CPython's own. A write
    # longer than the room left is cut before it is encoded, so that 100 MB
    # printed costs no 100 MB of bytes (each character is at least one).
    def write(self, s):
        room = self.buffer.cap - self.buffer.n
        if not isinstance(s, str) or len(s) <= room:
            return super().write(s)
        super().write(s[:max(room, 0)])
        self.buffer.over = True
        return len(s)

_streams = {}  # name -> (sink, text), kept across calls while intact

def _stream(name, cap, errors):
    # The same stream object serves call after call, as sys.stdout does in
    # a native process: what holds on to it (a logging handler made in an
    # earlier call) still writes to the current call's output. A stream the
    # code closed or re-encoded is replaced.
    pair = _streams.get(name)
    if pair is not None:
        sink, text = pair
        if not text.closed and text.errors == errors and text.encoding == 'utf-8':
            sink.start(cap)
            return sink, text
    sink = _Sink(cap)
    text = _Text(sink, encoding='utf-8', errors=errors, write_through=True)
    _streams[name] = sink, text
    return sink, text

_main_module = sys.modules['__main__']
_main = _main_module.__dict__
_main.setdefault('__builtins__', __builtins__)

def _run(src, cap):
    try:
        return _run_code(src, cap)
    except MemoryError:
        raise  # no room to build a result: the host reports the memory
    except BaseException as e:
        # The harness itself failed: the code changed what it relies on
        # (closed or replaced what it reads). Reported, never raised, and
        # the interpreter is replaced.
        _watch.end()
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        sys.modules['__main__'] = _main_module
        try:
            why = type(e).__name__
        except BaseException:
            why = 'an exception'
        msg = ('Error: the code broke the executor\'s harness (' + why + ') - interpreter replaced\n').encode()
        return _pack(_RESULT_HEADER, _KIND_EXCEPTION, 1, _FLAG_LEAKED, 0) + _pack('<I', len(msg)) + msg

def _exit_code(c):
    # sys.exit(c) as a native process ends: None is 0, an int its low 8
    # bits (sys.exit(-1) is 255), anything else is printed and 1. Read
    # with int's own method, so that a subclass's __and__ cannot choose.
    if c is None:
        return 0, None
    if issubclass(type(c), int):
        return int.__and__(c, 0xff), None
    try:
        text = str(c)
    except BaseException:
        text = '<unprintable ' + type(c).__name__ + ' object>'
    return 1, text

def _run_code(src, cap):
    isolate = cap & _EXEC_ISOLATE
    cap &= _EXEC_ISOLATE - 1
    # Native stdout is strict; stderr escapes what it cannot encode.
    out, sys_out = _stream('stdout', cap, 'strict')
    err, sys_err = _stream('stderr', cap, 'backslashreplace')
    so, se = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = sys_out, sys_err
    kind, code = _KIND_OK, 0
    ns = _main
    if isolate:
        # A new __main__, as a fresh interpreter has: nothing the previous
        # call defined, imported or rebound is visible.
        m = _ModuleType('__main__')
        ns = m.__dict__
        ns['__builtins__'] = _builtins
        sys.modules['__main__'] = m
        _watch.begin(ns)
    try:
        exec(compile(src, '<code>', 'exec'), ns)
    except SystemExit as e:
        kind = _KIND_EXIT
        try:
            c = e.code
        except BaseException:
            c = 1
        code, text = _exit_code(c)
        if text is not None:
            _report(err, text + '\n')
    except BaseException as e:
        kind, code = (_KIND_MEMORY if isinstance(e, MemoryError) else _KIND_EXCEPTION), 1
        try:
            # Drop this harness's own frame: the traceback starts in the code.
            tb = ''.join(traceback.format_exception(type(e), e, e.__traceback__.tb_next))
            _report(err, 'Error: ' + (str(e) or type(e).__name__) + '\nTraceback:\n' + tb)
        except BaseException:
            _report(err, 'Error: ' + type(e).__name__ + '\n')
    finally:
        if isolate:
            sys.modules['__main__'] = _main_module
            ns.clear()  # break the cycles of what the call defined
            # What the call left in cycles is collected now, as a process
            # collects it at its exit: a finalizer (__del__, a weakref
            # callback) runs into this call's output, not the next call's.
            _collect()
        try:
            sys.stdout.flush()
        except BaseException:
            pass
        sys.stdout, sys.stderr = so, se
    leaked = False
    if isolate:
        # A warning raised while compiling the code is recorded in the
        # registry of the frame that compiled it, this one's: a fresh
        # interpreter has none, so the same warning shows again.
        globals().pop('__warningregistry__', None)
        try:
            _watch.end()
            leaked = _leaked()
            _seed()  # as a fresh interpreter is: random.seed(0) must not carry over
        except BaseException:
            leaked = True
    o, e2 = out.take(), err.take()
    flags = (_FLAG_STDOUT_CUT if out.over else 0) | (_FLAG_STDERR_CUT if err.over else 0) | (_FLAG_LEAKED if leaked else 0)
    return _pack(_RESULT_HEADER, kind, code, flags, len(o)) + o + _pack('<I', len(e2)) + e2

# What an isolated call is checked for after it ran: whatever a later call
# could see besides __main__. The first isolated call records it (the host
# makes that call before the snapshot, so every clone has it); after each
# later one, any difference means the interpreter must be replaced. Module
# attributes are compared by identity (a rebound or deleted name, a module
# added or removed), and so are the mutable lists and settings, but for
# values of exact builtin types (a path, a number), compared by value:
# nothing the code made (an __eq__ of its own) runs in the check. What no
# dict holds, sandhost_embed.c watches (_watch.altered): an attribute set on
# a class that existed before the call (json.JSONEncoder.default = ...), a
# function's code or defaults replaced, an audit hook, a sys.monitoring
# callback. Not seen: changes inside other objects (a cache's or a
# registry's contents, a dict held by a module), and code that sets out to
# hide what it changed (the harness is Python the code can reach): the
# fresh model is the boundary for code that may (RATIONALE "What the
# isolated model checks").
import builtins as _builtins, gc as _gc, warnings as _warnings, decimal as _decimal
_ModuleType = type(sys)

def _collect():
    # The young generations always (tens of microseconds); all of them only
    # when the call's own collections moved objects to the oldest, where
    # only a full collection finds them.
    if _gc.get_stats()[1]['collections'] != _gen1[0]:
        _gc.collect()
    else:
        _gc.collect(1)
    _gen1[0] = _gc.get_stats()[1]['collections']

_gen1 = [_gc.get_stats()[1]['collections']]
_base = []  # [modules, settings, sys's entry of modules], filled by the first isolated call
import _sandhost_watch as _watch
del sys.modules['_sandhost_watch']  # the harness's alone

def _modules():
    mods = []
    for name, m in sys.modules.items():
        if name == '__main__':
            continue
        d = getattr(m, '__dict__', None)
        if type(d) is dict:
            mods.append((name, m, d, len(d), tuple(d.values())))
        else:
            mods.append((name, m, None, None, None))
    return mods

def _settings():
    # Two records: values of exact builtin types (a path, numbers, names,
    # flags), compared with == in one C loop, where no code of the call's
    # can run; and objects, compared by identity, one list after another
    # with a mark between them, so that an item moved from one list to the
    # next is a change.
    env = os.environ._data
    ctx = _decimal.getcontext()
    plain_env, plain_ctx = type(env) is dict, type(ctx) is _decimal.Context
    values = (os.getcwd(), sys.getrecursionlimit(), _gc.isenabled(), _gc.get_threshold(), _gc.get_debug(),
              sys.get_int_max_str_digits(), _atexit_count(), repr(ctx) if plain_ctx else None,
              sys.get_coroutine_origin_tracking_depth(), sys.getswitchinterval(),
              tuple([sys.monitoring.get_tool(i) is None for i in range(6)]),
              _closed(sys.__stdin__), _closed(sys.__stdout__), _closed(sys.__stderr__))
    objects = (*sys.path, _MARK, *sys.meta_path, _MARK, *sys.path_hooks, _MARK, *_warnings.filters, _MARK,
               *(env.keys() if plain_env else ()), _MARK, *(env.values() if plain_env else ()), _MARK,
               *_gc.callbacks, _MARK, *sys.get_asyncgen_hooks(), sys.gettrace(), sys.getprofile(),
               None if plain_env else env, None if plain_ctx else ctx)
    return values, objects

_MARK = object()

def _closed(stream):
    return stream.closed if type(stream) is io.TextIOWrapper else None

def _same_settings(a, b):
    return a[0] == b[0] and _watch.same(a[1], b[1])

def _atexit_count():
    import atexit
    return atexit._ncallbacks()

_why = []  # what the last isolated call changed (for the host's warm-up check)

def _leaked():
    why = _change()
    _why[:] = [why] if why else []
    return bool(why)

def _change():
    if not _base:
        import atexit  # before the modules are recorded, as what _reseed imports
        _reseed()
        _base.append(_modules())
        _base.append(_settings())
        _base.append([x for x in _base[0] if x[1] is sys])
        _watch.watch_types([o for o in _gc.get_objects() if isinstance(o, type)])
        # Every module's dict but sys's (whose streams each call swaps) is
        # watched, and sys.modules too (sandhost_embed.c): a call that
        # changed none of them needs no comparing of their names.
        for name, m, d, n, vals in _base[0]:
            if d is not None and m is not sys:
                _watch.watch(d)
        _watch.changed()
        _watch.altered()
        return None
    mods, settings, sys_only = _base
    cur = sys.modules
    if len(cur) != len(mods) + 1:  # + __main__
        return 'sys.modules: %r' % (set(cur) ^ {x[0] for x in mods} - {'__main__'})
    if _watch.altered():
        return 'a class, a function or a hook that existed before the call'
    if not _watch.changed():
        mods = sys_only
    for name, m, d, n, vals in mods:
        if cur.get(name) is not m:
            return 'sys.modules'
        # One C loop per module, by identity: a rebound name is a change
        # even if its new value says it equals the old. A name deleted and
        # another added changes the order of the values, so the keys need
        # no comparing.
        if d is not None and not _watch.same(d, vals):
            return name
    if not _same_settings(_settings(), settings):
        return 'settings'
    return None  # and /tmp, which the host reads (pyexec/run.go)

def _report(sink, s):
    sink._keep(s.encode('utf-8', 'backslashreplace'))

def _reseed():
    # A clone of the snapshot: new random state.
    _seed()

def _seed():
    import random, os
    random.seed(os.urandom(32))

# Relative paths land in the interpreter's own scratch /tmp.
import os
try:
    os.chdir('/tmp')
except OSError:
    pass

# asyncio's event loop wakes itself through a socketpair, which WASI lacks;
# with no threads or signals to wake it from, a loop without the self-pipe
# works, so asyncio.run and friends do. The patch is applied when asyncio is
# first imported, so interpreters that never use it pay nothing.
class _AsyncioPatcher:
    def find_spec(self, name, path=None, target=None):
        if name != 'asyncio.selector_events':
            return None
        import importlib.machinery
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        run_module = spec.loader.exec_module
        def exec_module(module):
            run_module(module)
            loop = module.BaseSelectorEventLoop
            loop._make_self_pipe = lambda self: None
            loop._close_self_pipe = lambda self: None
            loop._write_to_self = lambda self: None
        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, _AsyncioPatcher())

# Warm the modules most snippets use, so they are in every snapshot (and in
# the isolated model's baseline: an isolated call that imports a module
# outside it replaces its interpreter).
import json, re, collections, math, random, itertools, functools, heapq, bisect, string, operator
import statistics, fractions, decimal, datetime, calendar, copy, typing, dataclasses, textwrap, time

# The module sandhost: calls to services of the namespace, through the
# bridge file the host gives an interpreter whose code may make them (the
# request and answer are described in pyexec/protocol.go). Installed only
# then, so that elsewhere `import sandhost` fails as for any missing module;
# made here, before the snapshot and the isolated baseline, so a call that
# does not use it pays nothing, and one that changes it is seen.
def _sandhost():
    try:
        os.stat(_BRIDGE_PATH)
    except OSError:
        return
    from json import dumps, loads
    from os import open as os_open, read, write, close, O_RDWR
    pack, unpack = struct.pack, struct.unpack

    class ServiceError(Exception):
        """A call to a service failed; .service, .method and .reason say which and why."""
        def __init__(self, service, method, reason):
            super().__init__('%s.%s: %s' % (service, method, reason))
            self.service, self.method, self.reason = service, method, reason

    class ServiceRefused(ServiceError):
        """The service is not one this code may call: the request never left the sandbox."""

    class ServiceNotFound(ServiceError):
        """No such service in the namespace, or no such method."""

    class ServiceFailed(ServiceError):
        """The service reported an error (the reason is its message)."""

    class ServiceTimeout(ServiceError):
        """The call's own timeout, or the service's, passed."""

    errors = {_ANSWER_REFUSED: ServiceRefused, _ANSWER_NOT_FOUND: ServiceNotFound,
              _ANSWER_FAILED: ServiceFailed, _ANSWER_TIMEOUT: ServiceTimeout}

    def read_n(fd, n):
        parts = []
        while n > 0:
            b = read(fd, n)
            if not b:
                break
            parts.append(b)
            n -= len(b)
        return b''.join(parts)

    def call(service, method, args=None, *, timeout=None):
        """Call a method of a service of the namespace with args (any JSON value)
        and return its result, decoded from JSON. timeout (seconds) bounds this
        call; the code's own deadline bounds it always. Raises ServiceError."""
        if not isinstance(service, str) or not isinstance(method, str):
            raise TypeError('sandhost.call: service and method are strings')
        ns = 0
        if timeout is not None:
            ns = int(timeout * 1e9)
            if ns <= 0:
                raise ValueError('sandhost.call: timeout must be positive')
        s, m = service.encode(), method.encode()
        req = pack(_CALL_HEADER, len(s), len(m), ns) + s + m + dumps(args, allow_nan=False).encode()
        fd = os_open(_BRIDGE_PATH, O_RDWR)
        try:
            try:
                write(fd, req)
            except OSError:
                # Only at the code's deadline, which is stopping it.
                raise ServiceTimeout(service, method, "the code's deadline passed") from None
            status, n = unpack(_ANSWER_HEADER, read_n(fd, 8))
            body = read_n(fd, n)
        finally:
            close(fd)
        if status == _ANSWER_OK:
            return loads(body)
        if status == _ANSWER_RAW:
            return body
        raise errors.get(status, ServiceError)(service, method, body.decode('utf-8', 'replace'))

    mod = _ModuleType('sandhost', 'Calls to the services of the namespace this code may call (sandhost.call).')
    for v in (call, ServiceError, ServiceRefused, ServiceNotFound, ServiceFailed, ServiceTimeout):
        v.__module__, v.__qualname__ = 'sandhost', v.__name__
        setattr(mod, v.__name__, v)
    sys.modules['sandhost'] = mod

_sandhost()
