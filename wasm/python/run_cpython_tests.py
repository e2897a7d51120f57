# Runs CPython's own regression tests inside the sandbox. Mount the build's
# lib-test directory where a native install has it, the stdlib's test/
# (the build leaves it out of the stdlib), and list the modules in TESTS:
#   host exec --timeout 5m -f wasm/python/run_cpython_tests.py \
#     --mount ~/.cache/sandhost/python-wasm/current/lib-test:/usr/local/lib/python3.13/test
# At that path every test finds what it looks for: package tests (test_json,
# test_sqlite3, ...) discover their modules as test.<pkg>.<module>, and
# test.support's paths (STDLIB_DIR, findfile) are the stdlib's own.
# It prints how many tests each module has, and last what ran: "ran N,
# failures F, errors E, skipped S"; it exits with 1 if any failed or a
# module had none.
import importlib.util, os, sys, unittest

TESTS = globals().get("TESTS", [
    # flat modules
    "test_bisect", "test_heapq", "test_textwrap", "test_base64", "test_dataclasses",
    # packages, whose load_tests discover their modules from their directory
    "test_json", "test_sqlite3", "test_tomllib", "test_email", "test_zoneinfo",
    # the interpreter's core, deep recursion through C among them (the build's
    # link-time optimisation changes the C stack's frames); last, as
    # test_email's long-lines test needs memory that test_pickle leaves taken
    # in this one interpreter (256 MiB)
    "test_exceptions", "test_sys", "test_richcmp", "test_isinstance", "test_copy", "test_functools",
    "test_descr", "test_dict", "test_list", "test_deque", "test_userdict", "test_userlist", "test_pickle",
    "test_ast", "test_generators", "test_genexps", "test_string", "test_reprlib",
])

test_dir = os.path.join(os.path.dirname(os.__file__), "test")
if not os.path.isfile(os.path.join(test_dir, "__init__.py")):
    sys.exit(f"mount the build's lib-test directory at {test_dir}")

# The stdlib directory lists no test/ (the mount is not in its listing), so
# the import system cannot find the package by itself: make it from there.
spec = importlib.util.spec_from_file_location(
    "test", os.path.join(test_dir, "__init__.py"), submodule_search_locations=[test_dir])
pkg = importlib.util.module_from_spec(spec)
sys.modules["test"] = pkg
spec.loader.exec_module(pkg)

suite = unittest.TestSuite()
found = {}
for name in TESTS:
    tests = unittest.defaultTestLoader.loadTestsFromName("test." + name)
    found[name] = tests.countTestCases()
    suite.addTests(tests)
print("tests found:", ", ".join(f"{name} {n}" for name, n in found.items()))
empty = [name for name, n in found.items() if n == 0]
if empty:
    print("no tests found in", ", ".join(empty))
result = unittest.TextTestRunner(stream=sys.stdout, verbosity=1).run(suite)
print(f"ran {result.testsRun}, failures {len(result.failures)}, errors {len(result.errors)}, skipped {len(result.skipped)}")
if empty or not result.wasSuccessful():
    sys.exit(1)
