#!/usr/bin/env bash
# Builds CPython for wasm32-wasi from Debian's source packages with Debian's
# clang-19, and installs into the cache:
#
#   $SANDHOST_CACHE/python-wasm/<key>/python.wasm     embedding build (reactor), stripped
#   $SANDHOST_CACHE/python-wasm/<key>/lib/python3.13  the stdlib with .pyc
#   $SANDHOST_CACHE/python-wasm/<key>/manifest.txt    versions, sizes, build time
#   $SANDHOST_CACHE/python-wasm/current -> <key>
#
# <key> hashes the whole recipe (this script, cpython.sh, versions.txt,
# patches/ and sandhost_embed.c), so a second run with the same recipe does
# nothing. The CPython build tree is kept under $SANDHOST_CACHE/build/<cpython
# key>, keyed by cpython.sh, versions.txt and patches/ only, so a change to
# the link step, the stdlib packaging or sandhost_embed.c takes seconds. SANDHOST_CACHE defaults to
# ~/.cache/sandhost. Needs root for apt-get (toolchain packages only; the
# newer wasi-libc is unpacked privately, nothing else is installed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${SANDHOST_CACHE:-$HOME/.cache/sandhost}
cpkey=$(cat "$here/cpython.sh" "$here/versions.txt" "$here"/patches/*.patch | sha256sum | cut -c1-16)
key=$( (echo "$cpkey"; cat "$here/build.sh" "$here/sandhost_embed.c") | sha256sum | cut -c1-16)
out=$cache/python-wasm/$key
jobs=$(nproc)
t_start=$(date +%s)

step() { printf '[python-wasm %4ss] %s\n' "$(( $(date +%s) - t_start ))" "$*"; }
# run LOG CMD...: runs quietly into a log; on failure shows its tail.
run() {
  local log=$1; shift
  if ! "$@" >"$log" 2>&1; then
    echo "python-wasm: failed: $*" >&2
    echo "---- last lines of $log ----" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}

if [ -f "$out/manifest.txt" ] && [ -f "$out/python.wasm" ]; then
  ln -sfn "$key" "$cache/python-wasm/current"
  echo "python-wasm: cached build $key ($out)"
  exit 0
fi

# shellcheck source=/dev/null
. "$here/versions.txt"
work=$cache/build/$cpkey
mkdir -p "$work"
cd "$work"
logs=$work/logs
mkdir -p "$logs"
# orig NAME: the upstream tarball of a source package (not its signature).
orig() { ls src/"$1"_*.orig.tar.* | grep -v '\.asc$' | head -n 1; }

step "toolchain: clang-19, lld-19, llvm-19, wasm32 builtins (apt)"
pkgs="clang-19 lld-19 llvm-19 libclang-rt-19-dev-wasm32 make pkg-config tcl zip dpkg-dev xz-utils"
missing=$(dpkg-query -W -f='${Package} ${Status}\n' $pkgs 2>/dev/null | awk '$NF!="installed"{print $1}'; \
  for p in $pkgs; do dpkg-query -W "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$(echo "$missing" | tr -d '[:space:]')" ]; then
  run "$logs/apt-install.log" apt-get update -qq
  run "$logs/apt-install.log" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(echo "$missing" | sort -u)
fi

if [ ! -f "$work/.cpython-built" ]; then
  # shellcheck source=cpython.sh
  . "$here/cpython.sh"
  touch "$work/.cpython-built"
else
  step "CPython build tree cached ($work); relinking only"
fi
SOURCE_DATE_EPOCH=$(cat "$work/source-date-epoch" 2>/dev/null || echo 0)
export SOURCE_DATE_EPOCH
pyver=$(orig python3.13 | sed -E 's/.*python3.13_([^.]+\.[^.]+\.[^.]+)\.orig.*/\1/')
pydeb=$(ls src/python3.13_*.dsc 2>/dev/null | sed -E 's/.*python3.13_(.*)\.dsc/\1/' || true)
sysroot=$work/sysroot
deps=$work/deps
CC_WASM="clang-19 --target=wasm32-wasi --sysroot=$sysroot/usr"
buildpy=$work/cpython/cross-build/build/python
wb=$work/cpython/cross-build/wasm32-wasi

step "link the embedding module (reactor)"
# Compiled apart and linked with no -O: clang runs Binaryen's wasm-opt on an
# optimised link when it finds one on PATH, so a machine with binaryen
# installed would get another module under the same key (clang 19's
# --no-wasm-opt dropped the link step altogether).
libs=(libpython3.13.a)
for a in Modules/_decimal/libmpdec/libmpdec.a Modules/_hacl/libHacl_Hash_SHA2.a Modules/expat/libexpat.a; do
  [ -f "$wb/$a" ] && libs+=("$a")
done
rm -f "$wb/sandhost_embed.o" "$wb/python-reactor.wasm"  # so that a link that writes nothing fails
(cd "$wb" && run "$logs/embed.log" $CC_WASM -O2 -I. -I../../Include -I../../Include/internal -I"$deps/include" \
   -c "$here/sandhost_embed.c" -o sandhost_embed.o)
(cd "$wb" && run "$logs/link.log" $CC_WASM \
   -mexec-model=reactor -z stack-size=8388608 -Wl,--stack-first -Wl,--initial-memory=20971520 \
   $WASM_LTO_LDFLAGS -Wl,--thinlto-cache-dir="$work/thinlto-cache" \
   -Wl,--export=__stack_pointer -Wl,--export=_PyRuntime \
   sandhost_embed.o "${libs[@]}" \
   -L"$deps/lib" -lz -lbz2 -llzma -lsqlite3 \
   -ldl -lwasi-emulated-signal -lwasi-emulated-getpid -lwasi-emulated-process-clocks -lwasi-emulated-mman -lm \
   -o python-reactor.wasm)

stage=$cache/python-wasm/.stage-$key
rm -rf "$stage" && mkdir -p "$stage/lib"
llvm-strip-19 --strip-debug "$wb/python-reactor.wasm" -o "$stage/python.wasm"
llvm-strip-19 --strip-debug "$wb/python.wasm" -o "$stage/python-command.wasm"

step "stdlib with .pyc"
cp -a cpython/Lib "$stage/lib/python3.13"
rm -rf "$stage/lib/python3.13/"{test,idlelib,tkinter,turtledemo,ensurepip,lib2to3,pydoc_data,site-packages}
find "$stage/lib/python3.13" -name '__pycache__' -prune -exec rm -rf {} +
# The sysconfig data of the wasm build (imported by sysconfig/site), with
# the build directory's path made constant for a reproducible result.
for f in "$wb"/build/lib.wasi-wasm32-3.13/_sysconfigdata_*.py; do
  if [ -f "$f" ]; then sed "s|$work|/build|g" "$f" >"$stage/lib/python3.13/$(basename "$f")"; fi
done
# -d: tracebacks name the guest path; hashes, not mtimes, make .pyc
# reproducible and valid on a read-only mount.
run "$logs/compileall.log" "$buildpy" -E -s -m compileall -q -j "$jobs" -o 0 --invalidation-mode unchecked-hash \
  -d /usr/local/lib/python3.13 "$stage/lib/python3.13"
# Lib/test stays available for mounting (CPython's regression tests).
cp -a cpython/Lib/test "$stage/lib-test" 2>/dev/null || true

t_end=$(date +%s)
{
  echo "key=$key"
  echo "cpython_build_key=$cpkey"
  echo "cpython=$pyver"
  echo "debian_python3.13=${pydeb:-unknown}"
  for f in src/*.dsc src/*.deb; do [ -e "$f" ] && echo "source=$(basename "$f")"; done
  echo "source_date_epoch=$SOURCE_DATE_EPOCH"
  echo "build_seconds=$((t_end - t_start))"
  echo "python_wasm_bytes=$(stat -c %s "$stage/python.wasm")"
  echo "python_wasm_gzip_bytes=$(gzip -9c "$stage/python.wasm" | wc -c)"
  echo "stdlib_bytes=$(du -sb "$stage/lib" | cut -f1)"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$stage/manifest.txt"
rm -rf "$out" && mv "$stage" "$out"
ln -sfn "$key" "$cache/python-wasm/current"
# Older recipes' outputs and build trees are dead weight (about 0.8 GB each).
for d in "$cache"/python-wasm/*/ "$cache"/build/*/; do
  case "$(basename "$d")" in "$key"|"$cpkey"|current) ;; *) rm -rf "$d" ;; esac
done
step "done: $out"
cat "$out/manifest.txt"
