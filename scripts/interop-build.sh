#!/usr/bin/env bash
# Builds every non-Node interop driver into interop/bin/ (see interop/README.md).
# Each driver folder has its own build.sh; this runs them all and fails if one fails,
# so CI cannot pass with a driver silently missing. Usage: scripts/interop-build.sh [java|go|python ...]
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p interop/bin
drivers=("$@")
if [ ${#drivers[@]} -eq 0 ]; then drivers=(java go python); fi
failed=()
for d in "${drivers[@]}"; do
  if [ ! -x "interop/$d/build.sh" ]; then echo "interop-build: no interop/$d/build.sh" >&2; failed+=("$d"); continue; fi
  echo "interop-build: $d" >&2
  start=$(date +%s)
  if "interop/$d/build.sh"; then echo "interop-build: $d ok in $(( $(date +%s) - start )) s" >&2; else failed+=("$d"); fi
done
if [ ${#failed[@]} -gt 0 ]; then echo "interop-build: FAILED: ${failed[*]}" >&2; exit 1; fi
