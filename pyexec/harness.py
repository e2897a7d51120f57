# sandhost's harness, run once in each interpreter by sandhost_init. The host
# calls _run for every execution; it never talks over stdin/stdout, so
# nothing user code prints or reads can reach the channel. The protocol is
# described in pyexec/protocol.go, which also defines the constants used here
# (_KIND_*, _FLAG_*, _RESULT_HEADER) in lines it sends ahead of this file.
import sys, io, traceback, struct

class _Cap(io.TextIOBase):
    # A text stream that keeps at most cap characters and remembers overflow.
    # Like a real stream, it refuses writes once closed.
    def __init__(self, cap):
        self.parts = []
        self.n = 0
        self.cap = cap
        self.over = False

    def writable(self):
        return True

    def write(self, s):
        if self.closed:
            raise ValueError('I/O operation on closed file.')
        if not isinstance(s, str):
            raise TypeError('write() argument must be str, not ' + type(s).__name__)
        return self._keep(s)

    def _keep(self, s):
        # Also the harness's own reports, which reach the result even when
        # the code closed the stream.
        n = len(s)
        room = self.cap - self.n
        if n > room:
            self.over = True
            s = s[:max(room, 0)]
        if s:
            self.parts.append(s)
            self.n += len(s)
        return n

    def value(self):
        return ''.join(self.parts)

_main = sys.modules['__main__'].__dict__
_main.setdefault('__builtins__', __builtins__)

def _enc(s):
    return s.encode('utf-8', 'backslashreplace')

def _run(src, cap):
    out, err = _Cap(cap), _Cap(cap)
    so, se = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    kind, code = _KIND_OK, 0
    try:
        exec(compile(src, '<code>', 'exec'), _main)
    except SystemExit as e:
        kind = _KIND_EXIT
        c = e.code
        if c is None:
            code = 0
        elif isinstance(c, int):
            code = c & 0x7fffffff
        else:
            err._keep(str(c) + '\n')
            code = 1
    except BaseException as e:
        kind, code = (_KIND_MEMORY if isinstance(e, MemoryError) else _KIND_EXCEPTION), 1
        try:
            # Drop this harness's own frame: the traceback starts in the code.
            tb = ''.join(traceback.format_exception(type(e), e, e.__traceback__.tb_next))
            err._keep('Error: ' + (str(e) or type(e).__name__) + '\nTraceback:\n' + tb)
        except BaseException:
            err._keep('Error: ' + type(e).__name__ + '\n')
    finally:
        try:
            sys.stdout.flush()
        except BaseException:
            pass
        sys.stdout, sys.stderr = so, se
    o, e2 = _enc(out.value()), _enc(err.value())
    flags = (_FLAG_STDOUT_CUT if out.over else 0) | (_FLAG_STDERR_CUT if err.over else 0)
    return struct.pack(_RESULT_HEADER, kind, code, flags, len(o)) + o + struct.pack('<I', len(e2)) + e2

def _reseed():
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

# Warm the modules most snippets use, so they are in every snapshot.
import json, re, collections, math, random, itertools, functools
