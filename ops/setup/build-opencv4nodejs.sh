#!/usr/bin/env bash
# Builds @u4/opencv4nodejs against the system OpenCV (Debian's libopencv-dev), after making it
# safe to load in several threads.
#
# Why the patch: every bound class keeps its JavaScript constructor template in a process-wide
# static. Each worker thread that loads the addon overwrites those statics with templates of its
# own V8 isolate, so OpenCV used from a second thread (the main thread or another recognizer
# worker) builds objects from a foreign isolate's template and V8 aborts ("Cannot create a
# handle without a HandleScope"). Making the statics thread_local gives each thread (one isolate
# per thread in Node) its own templates. The patch is idempotent and checked by count, so an
# upstream change that moves these declarations fails loudly instead of building unsafely.
set -euo pipefail
pkg="${1:-node_modules/@u4/opencv4nodejs}"
[ -d "$pkg/cc" ] || { echo "build-opencv4nodejs: $pkg/cc not found (run npm ci first)" >&2; exit 1; }

files=$(grep -rlE 'Nan::Persistent<v8::FunctionTemplate>' "$pkg/cc" || true)
for f in $files; do
  sed -i -E \
    -e 's/^([[:space:]]*)static Nan::Persistent<v8::FunctionTemplate> constructor;/\1static thread_local Nan::Persistent<v8::FunctionTemplate> constructor;/' \
    -e 's/^Nan::Persistent<v8::FunctionTemplate> ([A-Za-z0-9_]+)::constructor;/thread_local Nan::Persistent<v8::FunctionTemplate> \1::constructor;/' \
    "$f"
done

left=$(grep -rE 'Nan::Persistent<v8::FunctionTemplate>' "$pkg/cc" | grep -vc 'thread_local' || true)
patched=$(grep -rc 'thread_local Nan::Persistent<v8::FunctionTemplate>' "$pkg/cc" | awk -F: '{s+=$2} END {print s}')
if [ "$left" != "0" ] || [ "$patched" -lt 100 ]; then
  echo "build-opencv4nodejs: unexpected sources ($left constructor templates left unpatched, $patched patched); refusing to build" >&2
  exit 1
fi

multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
export OPENCV4NODEJS_DISABLE_AUTOBUILD=1
export OPENCV_INCLUDE_DIR=/usr/include/opencv4
export OPENCV_LIB_DIR=/usr/lib/$multiarch
export OPENCV_BIN_DIR=/usr/bin
echo "build-opencv4nodejs: compiling against $OPENCV_LIB_DIR (about 5 minutes on 2 cores)" >&2
# Build against the same Node headers npm uses for every other native module (its nodedir).
nodedir=$(npm config get nodedir 2>/dev/null || true)
gyp_args=(rebuild --jobs=max)
case "$nodedir" in ""|undefined|null) ;; *) gyp_args+=("--nodedir=$nodedir") ;; esac
root=$PWD
cd "$pkg"
exec "$root/node_modules/.bin/node-gyp" "${gyp_args[@]}"
