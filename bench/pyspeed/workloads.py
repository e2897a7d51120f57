# CPU-bound microbenchmarks for comparing CPython builds (bench/pyspeed).
# Each workload isolates one part of the interpreter; the same file runs in
# the sandbox and natively, timing itself, so the figures compare the
# interpreters and not the ways of starting them. Prints one JSON object:
# {"workload": {"result": repr of its value, "ns": [nanoseconds per run]}}.
# SCALE (work per run), RUNS and ONLY (the workloads to run, by name) may be
# set ahead of this source.
import json
import time

SCALE = globals().get("SCALE", 1.0)
RUNS = globals().get("RUNS", 3)
ONLY = globals().get("ONLY", ())


def genexpr(n):
    return sum(i * i for i in range(n))


def for_loop(n):
    t = 0
    for i in range(n):
        t += i * 3 % 7
    return t


# sum() keeps its total in a C integer until it would overflow (64 bits on
# wasm32 too: wasm/python/patches/sum-int64.patch); these cross the 2**31 and
# 2**63 edges, so beside native CPython they also check the patch.
_EDGES = ([2**31, 2**31], [2**62, 2**62], [2**63 - 1, 1], [-2**63, -1], [-2**63 + 1, -1],
          [True, 2**40, False], [2**100, -2**100, 5], [2**62, 2**62, -2**62, -2**62])


def sum_edges(n):
    t = 0
    for i in range(n):
        t += sum(_EDGES[i % len(_EDGES)])
    return t, [sum(e) for e in _EDGES]


def _add(a, b):
    return a + b


def calls(n):
    t = 0
    for i in range(n):
        t = _add(t, i)
    return t


class _Obj:
    def __init__(self):
        self.x = 1
        self.y = 2

    def total(self):
        return self.x + self.y


def attributes(n):
    o = _Obj()
    t = 0
    for _ in range(n):
        o.x = o.y + 1
        t += o.total()
    return t


def strings(n):
    words = []
    for i in range(n):
        s = f"item-{i}:{i % 13}"
        words.append(s.upper().replace("ITEM", "x").split(":")[0])
    return len(",".join(words))


def dicts(n):
    d = {}
    for i in range(n):
        d["k" + str(i % 1000)] = d.get("k" + str((i * 7) % 1000), 0) + i
    return len(d)


def _fib(n):
    return n if n < 2 else _fib(n - 1) + _fib(n - 2)


def recursion(n):
    # fib(20) makes 21,891 calls: n calls, roughly.
    return sum(_fib(20) for _ in range(max(1, n // 21891)))


def sort_list(n):
    xs = [(i * 7919) % 10007 for i in range(n)]
    return sorted(xs)[n // 2] + sorted(map(str, xs[: n // 4]))[0].__len__()


def json_codec(n):
    doc = {"ids": list(range(100)), "name": "x" * 20, "nested": [{"a": i, "b": str(i)} for i in range(20)]}
    t = 0
    for _ in range(n):
        t += len(json.loads(json.dumps(doc)))
    return t


def bigint(n):
    x = 1
    for i in range(1, n):
        x = x * (i | 1) % (1 << 2048)
    return x.bit_length()


def memcopy(n):
    # Large copies: what bulk memory (memory.copy/fill) could change.
    b = bytes(1 << 20)
    t = 0
    for _ in range(n):
        c = bytearray(b)
        c[:] = b
        t += len(c + b)
    return t


WORKLOADS = [
    ("genexpr", genexpr, 1_000_000),
    ("for_loop", for_loop, 1_000_000),
    ("sum_edges", sum_edges, 300_000),
    ("calls", calls, 1_000_000),
    ("attributes", attributes, 500_000),
    ("strings", strings, 100_000),
    ("dicts", dicts, 200_000),
    ("recursion", recursion, 500_000),
    ("sort", sort_list, 100_000),
    ("json", json_codec, 2_000),
    ("bigint", bigint, 100_000),
    ("memcopy", memcopy, 200),
]


def main():
    out = {}
    for name, fn, n in WORKLOADS:
        if ONLY and name not in ONLY:
            continue
        n = max(1, int(n * SCALE))
        runs = []
        for _ in range(RUNS):
            t0 = time.perf_counter_ns()
            result = fn(n)
            runs.append(time.perf_counter_ns() - t0)
        out[name] = {"result": repr(result), "ns": runs}
    print(json.dumps(out))


main()
