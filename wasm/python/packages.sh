#!/usr/bin/env bash
# Builds the sandbox's site directory of third-party Python packages from
# packages.txt, for the CPython of `make python-wasm`:
#
#   $SANDHOST_CACHE/python-packages/<key>/site          the modules, with .pyc
#   $SANDHOST_CACHE/python-packages/<key>/manifest.txt  packages, versions, sizes
#   $SANDHOST_CACHE/python-packages/current -> <key>
#
# Debian packages come from the suite CPython's sources come from
# (versions.txt), as .deb files unpacked privately (nothing is installed).
# Only pure-Python ones are taken: a package that is not Architecture: all
# or that ships a shared object is refused, as the sandbox loads no native
# code. site/ always holds sandhost's own modules (the _ctypes stand-in).
# The .pyc are compiled by the native CPython that the CPython build made
# (same version, same magic number) with unchecked hashes, so a read-only
# mount serves them. <key> hashes this script, the list, site/, the CPython
# build's key and the contents of the list's `dir` entries.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${SANDHOST_CACHE:-$HOME/.cache/sandhost}
list=$here/packages.txt
t_start=$(date +%s)

step() { printf '[python-packages %4ss] %s\n' "$(( $(date +%s) - t_start ))" "$*"; }
fail() { echo "python-packages: $*" >&2; exit 1; }
# run LOG CMD...: runs quietly into a log; on failure shows its tail.
run() {
  local log=$1; shift
  if ! "$@" >"$log" 2>&1; then
    echo "python-packages: failed: $*" >&2
    echo "---- last lines of $log ----" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}

pymanifest=$cache/python-wasm/current/manifest.txt
[ -f "$pymanifest" ] || fail "no CPython build in $cache/python-wasm/current: run \`make python-wasm\` first"
field() { sed -n "s/^$1=//p" "$2" | head -n 1; }
pykey=$(field key "$pymanifest")
cpkey=$(field cpython_build_key "$pymanifest")
pyver=$(field cpython "$pymanifest")   # 3.13.5
pyminor=${pyver%.*}                     # 3.13
# shellcheck source=versions.txt
. "$here/versions.txt"

# The list: Debian names, and `dir PATH` entries (absolute paths).
debs=() dirs=()
while read -r a b _; do
  case "$a" in
    ''|'#'*) ;;
    dir)
      [ -n "$b" ] || fail "packages.txt: \`dir\` needs a path"
      case "$b" in /*) ;; *) b=$here/$b ;; esac
      [ -d "$b" ] || fail "packages.txt: dir $b: not a directory"
      # Extension modules built for wasm32-wasi are linked into python.wasm:
      # WASI has no dlopen, so a shared object here could never load.
      so=$(find "$b" -name '*.so' -o -name '*.so.*' | head -n 3)
      [ -z "$so" ] || fail "dir $b holds shared objects ($(echo $so)), which the sandbox cannot load: link them into python.wasm instead"
      dirs+=("$(cd "$b" && pwd)") ;;
    *) debs+=("$a") ;;
  esac
done < <(sed 's/#.*//' "$list")

# A dir entry's contents are part of the key: a rebuilt package elsewhere
# gives a new site directory.
content() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum); }
key=$( { echo "$pykey"; cat "$here/packages.sh" "$list"; content "$here/site";
         for d in ${dirs[@]+"${dirs[@]}"}; do echo "$d"; content "$d"; done; } | sha256sum | cut -c1-16)
root=$cache/python-packages
out=$root/$key
if [ -f "$out/manifest.txt" ] && [ -d "$out/site" ]; then
  ln -sfn "$key" "$root/current"
  echo "python-packages: cached $key ($out)"
  exit 0
fi

# The native build python of the CPython build compiles the .pyc; a
# python3.X of the same minor on PATH will do where that tree is gone.
buildpy=$cache/build/$cpkey/cpython/cross-build/build/python
if [ ! -x "$buildpy" ]; then
  buildpy=$(command -v "python$pyminor" || true)
  [ -n "$buildpy" ] || fail "no CPython $pyminor to compile .pyc with: $cache/build/$cpkey is gone and python$pyminor is not on PATH; rebuild with \`rm -rf $cache/python-wasm && make python-wasm\`"
fi
[ "$("$buildpy" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = "$pyminor" ] \
  || fail "$buildpy is not CPython $pyminor"

mkdir -p "$root"
stage=$root/.stage-$key
rm -rf "$stage" && mkdir -p "$stage/site" "$stage/unpack"
logs=$stage/logs
mkdir -p "$logs"

if [ ${#debs[@]} -gt 0 ]; then
  step "a private APT configuration for $SOURCE_SUITE"
  apt_dir=$root/apt   # kept across keys: a later update fetches only what changed
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources.list.d"
  cat >"$apt_dir/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: $SOURCE_SUITE
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  cat >"$apt_dir/apt.conf" <<CONF
Dir::Etc::SourceList "/dev/null";
Dir::Etc::SourceParts "$apt_dir/sources.list.d";
Dir::State::Lists "$apt_dir/lists";
Dir::Cache "$apt_dir/cache";
Dir::Cache::Archives "$apt_dir/cache/archives";
APT::Get::AllowUnauthenticated "false";
CONF
  export APT_CONFIG=$apt_dir/apt.conf
  run "$logs/apt-update.log" apt-get update

  # The list and the python3-* packages its members depend on, each once.
  # Depends on python3 itself (the interpreter) are the sandbox's CPython.
  todo=("${debs[@]}") seen=" "
  while [ ${#todo[@]} -gt 0 ]; do
    p=${todo[0]} todo=("${todo[@]:1}")
    case "$seen" in *" $p "*) continue ;; esac
    seen="$seen$p "
    info=$(apt-cache show --no-all-versions "$p" 2>/dev/null) \
      || fail "$p: no such package in Debian $SOURCE_SUITE (give Debian's binary package name, e.g. python3-sympy)"
    arch=$(echo "$info" | sed -n 's/^Architecture: //p')
    if [ "$arch" != all ]; then
      fail "$p is Architecture: $arch, so it ships compiled extensions, which the sandbox cannot load (no native code in wasm32-wasi): refused. Such a package must be built for wasm32-wasi and linked into python.wasm (RATIONALE.md, \"Third-party packages\")"
    fi
    for d in $(echo "$info" | sed -n 's/^Depends: //p' | tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/:any//; s/[[:space:]]//g'); do
      case "$d" in python3-*) todo+=("$d") ;; esac
    done
  done
  pkgs=($seen)

  step "download ${pkgs[*]}"
  mkdir -p "$stage/debs"
  (cd "$stage/debs" && run "$logs/download.log" apt-get download "${pkgs[@]}")
  unset APT_CONFIG
fi

: >"$stage/packages.txt"
for deb in "$stage"/debs/*.deb; do
  [ -e "$deb" ] || continue
  name=$(dpkg-deb -f "$deb" Package)
  version=$(dpkg-deb -f "$deb" Version)
  so=$(dpkg-deb -c "$deb" | awk '{print $NF}' | grep -E '\.so(\.[0-9]+)*$' | head -n 3 || true)
  [ -z "$so" ] || fail "$name $version ships compiled extensions ($(echo $so)), which the sandbox cannot load: refused"
  u=$stage/unpack/$name
  dpkg-deb -x "$deb" "$u"
  dist=$u/usr/lib/python3/dist-packages
  [ -d "$dist" ] || fail "$name $version has no usr/lib/python3/dist-packages: not a Python package"
  # A link out of the package would point at the host's files.
  bad=$(find "$dist" -type l -lname '/*' -print -quit)
  [ -z "$bad" ] || fail "$name $version: $bad links outside the package: refused"
  echo "$name $version $(du -sb "$dist" | cut -f1)" >>"$stage/packages.txt"
  cp -a "$dist/." "$stage/site/"
done
for d in ${dirs[@]+"${dirs[@]}"}; do
  step "dir $d"
  echo "dir:$d - $(du -sb "$d" | cut -f1)" >>"$stage/packages.txt"
  cp -a "$d/." "$stage/site/"
done
cp -a "$here/site/." "$stage/site/"
find "$stage/site" -name '__pycache__' -prune -exec rm -rf {} +

step "compile .pyc with CPython $pyminor ($buildpy)"
# Unchecked hashes: the .pyc is used without looking at the source's mtime
# (a read-only mount cannot have them rewritten). -d: the guest's path.
guest=/usr/local/lib/python$pyminor/lib-dynload
run "$logs/compileall.log" "$buildpy" -E -s -m compileall -q -j "$(nproc)" -o 0 \
  --invalidation-mode unchecked-hash -d "$guest" "$stage/site"

t_end=$(date +%s)
{
  echo "key=$key"
  echo "python_wasm_key=$pykey"
  echo "python=$pyminor"
  echo "suite=$SOURCE_SUITE"
  while read -r name version bytes; do echo "package=$name $version $bytes"; done <"$stage/packages.txt"
  echo "site_bytes=$(du -sb "$stage/site" | cut -f1)"
  echo "pyc_bytes=$(find "$stage/site" -name '*.pyc' -printf '%s\n' | awk '{s+=$1} END {print s+0}')"
  echo "build_seconds=$((t_end - t_start))"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$stage/manifest.txt"
rm -rf "$stage/unpack" "$stage/debs" "$stage/packages.txt" "$stage/logs"
rm -rf "$out" && mv "$stage" "$out"
ln -sfn "$key" "$root/current"
# Older lists' sites are dead weight.
for d in "$root"/*/; do
  case "$(basename "$d")" in "$key"|current|apt) ;; *) rm -rf "$d" ;; esac
done
step "done: $out"
cat "$out/manifest.txt"
