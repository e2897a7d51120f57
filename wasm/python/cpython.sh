# Sourced by build.sh: fetches Debian's sources and builds CPython for
# wasm32-wasi with its C libraries in $work (the slow part, about 9 minutes).
# Its output is keyed by this file and versions.txt only, so changes to the
# link step or the stdlib packaging (build.sh) do not rebuild CPython.
step "sources: a private APT configuration for $SOURCE_SUITE"
apt_dir=$work/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/sources.list.d"
cat >"$apt_dir/sources.list.d/debian.sources" <<SRC
Types: deb deb-src
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
mkdir -p src && cd src
for p in $SOURCE_PACKAGES; do
  name=${p%%=*}
  spec=$p
  [ "$spec" = "$name" ] && spec="$name/$SOURCE_SUITE"
  step "download source $spec"
  # For some packages only the orig tarball downloads (the .dsc 404s on the
  # mirror); that is all the build needs, so judge by the tarball.
  apt-get source --download-only "$spec" >"$logs/source-$name.log" 2>&1 || true
  if ! ls "${name}"_*.orig.tar.* >/dev/null 2>&1; then
    echo "python-wasm: could not download the source of $spec" >&2
    tail -n 20 "$logs/source-$name.log" >&2
    exit 1
  fi
done
step "download wasi-libc from $SOURCE_SUITE"
run "$logs/wasi-libc.log" apt-get download "wasi-libc/$SOURCE_SUITE"
cd "$work"
unset APT_CONFIG

sysroot=$work/sysroot
rm -rf "$sysroot" && mkdir -p "$sysroot"
dpkg -x src/wasi-libc_*.deb "$sysroot"
pyver=$(orig python3.13 | sed -E 's/.*python3.13_([^.]+\.[^.]+\.[^.]+)\.orig.*/\1/')
pydeb=$(ls src/python3.13_*.dsc 2>/dev/null | sed -E 's/.*python3.13_(.*)\.dsc/\1/' || true)
step "CPython $pyver (Debian ${pydeb:-?}), wasi-libc $(ls src/wasi-libc_*.deb | sed -E 's/.*wasi-libc_([^_]+)_.*/\1/')"

CC_WASM="clang-19 --target=wasm32-wasi --sysroot=$sysroot/usr"
deps=$work/deps
rm -rf "$deps" && mkdir -p "$deps/lib/pkgconfig" "$deps/include"
export AR=llvm-ar-19 RANLIB=llvm-ranlib-19

step "zlib"
rm -rf zlib && mkdir zlib && tar -xf "$(orig zlib)" -C zlib --strip-components=1
(cd zlib && run "$logs/zlib.log" env CC="$CC_WASM" CFLAGS="-O2" CHOST=wasm32 ./configure --static --prefix="$deps" \
  && run "$logs/zlib-make.log" make -j"$jobs" libz.a && run "$logs/zlib-install.log" make install)

step "bzip2"
rm -rf bzip2 && mkdir bzip2 && tar -xf "$(orig bzip2)" -C bzip2 --strip-components=1
(cd bzip2 && for f in blocksort huffman crctable randtable compress decompress bzlib; do
   $CC_WASM -O2 -D_FILE_OFFSET_BITS=64 -c $f.c -o $f.o; done \
 && $AR rcs "$deps/lib/libbz2.a" blocksort.o huffman.o crctable.o randtable.o compress.o decompress.o bzlib.o \
 && cp bzlib.h "$deps/include/")
cat >"$deps/lib/pkgconfig/bzip2.pc" <<PC
prefix=$deps
libdir=\${prefix}/lib
includedir=\${prefix}/include
Name: bzip2
Description: bzip2
Version: 1.0.8
Libs: -L\${libdir} -lbz2
Cflags: -I\${includedir}
PC

step "liblzma"
rm -rf xz && mkdir xz && tar -xf "$(orig xz-utils)" -C xz --strip-components=1
(cd xz && run "$logs/xz.log" env CC="$CC_WASM" CFLAGS="-O2" ./configure --host=wasm32-wasi --prefix="$deps" \
   --disable-shared --enable-static --disable-threads --disable-xz --disable-xzdec --disable-lzmadec \
   --disable-lzmainfo --disable-scripts --disable-doc --disable-nls \
 && run "$logs/xz-make.log" make -j"$jobs" -C src/liblzma && run "$logs/xz-install.log" make -C src/liblzma install)

step "sqlite3 (amalgamation)"
rm -rf sqlite && mkdir sqlite && tar -xf "$(orig sqlite3)" -C sqlite --strip-components=1
(cd sqlite && { [ -f sqlite3.c ] || { run "$logs/sqlite-conf.log" ./configure && run "$logs/sqlite-amal.log" make sqlite3.c; }; } \
 && $CC_WASM -O2 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL -DSQLITE_OMIT_SHARED_CACHE \
    -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_GETPID -D_WASI_EMULATED_PROCESS_CLOCKS -c sqlite3.c -o sqlite3.o \
 && $AR rcs "$deps/lib/libsqlite3.a" sqlite3.o && cp sqlite3.h sqlite3ext.h "$deps/include/")
cat >"$deps/lib/pkgconfig/sqlite3.pc" <<PC
prefix=$deps
libdir=\${prefix}/lib
includedir=\${prefix}/include
Name: SQLite
Description: SQL database engine
Version: 3
Libs: -L\${libdir} -lsqlite3 -lwasi-emulated-mman
Cflags: -I\${includedir}
PC

step "CPython source and Debian's security patches"
rm -rf cpython && mkdir cpython && tar -xf "$(orig python3.13)" -C cpython --strip-components=1
if ls src/python3.13_*.debian.tar.* >/dev/null 2>&1; then
  mkdir -p debian-py && tar -xf src/python3.13_*.debian.tar.* -C debian-py
  applied=0
  for p in $(grep -iE '^[^#]*cve' debian-py/debian/patches/series 2>/dev/null | awk '{print $1}'); do
    if patch -d cpython -p1 --forward --silent <"debian-py/debian/patches/$p" >>"$logs/patches.log" 2>&1; then
      applied=$((applied + 1))
    else
      echo "python-wasm: patch $p does not apply; skipped" | tee -a "$logs/patches.log"
    fi
  done
  step "applied $applied security patch(es)"
fi
# sandhost's own patches (patches/*.patch, each saying why at its top):
# they change speed on wasm32, not behaviour, and the native build gets them
# too, so it stays the same CPython built natively.
for p in "$here"/patches/*.patch; do
  [ -e "$p" ] || continue
  if ! patch -d cpython -p1 --forward --silent <"$p" >>"$logs/patches.log" 2>&1; then
    echo "python-wasm: patch $(basename "$p") does not apply" >&2
    exit 1
  fi
  step "applied $(basename "$p")"
done

# Reproducible: __DATE__/__TIME__ (clang honours SOURCE_DATE_EPOCH) come
# from Debian's changelog of the package, not from the clock.
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l debian-py/debian/changelog -STimestamp 2>/dev/null || echo 0)
export SOURCE_DATE_EPOCH
echo "$SOURCE_DATE_EPOCH" >"$work/source-date-epoch"

step "native build python (configure ~25 s, make ~150 s)"
mkdir -p cpython/cross-build/build
(cd cpython/cross-build/build && run "$logs/native-configure.log" ../../configure --prefix="$work/native" \
  && run "$logs/native-make.log" make -j"$jobs")
buildpy=$work/cpython/cross-build/build/python

step "cross build for wasm32-wasi (configure ~50 s, make ~4 min)"
# -inline-threshold=600 (LLVM's -O3 default: 250): a call costs more in the
# engine than natively (a stack check, the memory base reloaded after it),
# so inlining more paid 6% in CPU-bound code (RATIONALE.md, "Python speed").
# ThinLTO ($WASM_LTO_LDFLAGS, versions.txt) is given to make, not configure:
# configure reads its probes' object files. build.sh links the reactor with
# the same flags and ThinLTO cache.
mkdir -p cpython/cross-build/wasm32-wasi
(cd cpython/cross-build/wasm32-wasi && run "$logs/wasm-configure.log" env \
   CONFIG_SITE=../../Tools/wasm/config.site-wasm32-wasi \
   CC="$CC_WASM" CXX="clang++-19 --target=wasm32-wasi --sysroot=$sysroot/usr" \
   PKG_CONFIG_LIBDIR="$deps/lib/pkgconfig" PKG_CONFIG_PATH= \
   CFLAGS="-O3 -mllvm -inline-threshold=600" LDFLAGS="-L$deps/lib" CPPFLAGS="-I$deps/include" \
   ac_cv_func_clock_nanosleep=no ac_cv_lib_rt_clock_nanosleep=no \
   ../../configure --host=wasm32-wasip1 --build="$(../../config.guess)" --with-build-python="$buildpy" \
     --with-pymalloc --disable-test-modules --prefix=/usr/local \
 && run "$logs/wasm-make.log" make -j"$jobs" EXTRA_CFLAGS=-flto=thin \
     LDFLAGS_NODIST="$WASM_LTO_LDFLAGS -Wl,--thinlto-cache-dir=$work/thinlto-cache")
