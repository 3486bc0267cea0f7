#!/usr/bin/env bash
# Builds bench/floor/floor.c (libc and pthreads only) into bench/floor/build/ (git-ignored)
# and prints the binary's path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$here/build"
gcc -O2 -g -std=c11 -Wall -Wextra -Werror -pthread -o "$here/build/floor" "$here/floor.c"
echo "$here/build/floor"
