# Runs CPython regression tests inside the sandbox. Mount the build's
# lib-test directory at /cpython-tests (the stdlib mount shadows its own
# test/ path) and list the modules to run in TESTS, e.g.
#   host exec --mount ~/.cache/sandhost/python-wasm/current/lib-test:/cpython-tests \
#             -f wasm/python/run_cpython_tests.py
import importlib.util, sys, unittest

TESTS = globals().get("TESTS", ["test_bisect", "test_heapq", "test_textwrap", "test_base64"])

spec = importlib.util.spec_from_file_location(
    "test", "/cpython-tests/__init__.py", submodule_search_locations=["/cpython-tests"])
pkg = importlib.util.module_from_spec(spec)
sys.modules["test"] = pkg
spec.loader.exec_module(pkg)

suite = unittest.TestSuite()
for name in TESTS:
    suite.addTests(unittest.defaultTestLoader.loadTestsFromName("test." + name))
result = unittest.TextTestRunner(stream=sys.stdout, verbosity=0).run(suite)
print(f"ran {result.testsRun}, failures {len(result.failures)}, errors {len(result.errors)}, skipped {len(result.skipped)}")
