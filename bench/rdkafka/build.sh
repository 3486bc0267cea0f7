#!/usr/bin/env bash
# Builds the native load generator (bench/rdkafka/loadgen.c) against the system's
# librdkafka (Debian: apt-get install -y librdkafka-dev) into bench/rdkafka/build/
# (git-ignored). Prints the binary's path. Exits non-zero when librdkafka is absent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! pkg-config --exists rdkafka; then
  echo "bench/rdkafka/build.sh: librdkafka not found by pkg-config (apt-get install -y librdkafka-dev)" >&2
  exit 1
fi
mkdir -p "$here/build"
# shellcheck disable=SC2046
gcc -O2 -g -std=c11 -Wall -Wextra -Werror -o "$here/build/loadgen" "$here/loadgen.c" $(pkg-config --cflags --libs rdkafka)
echo "$here/build/loadgen"
