#!/usr/bin/env bash
# Builds the franz-go interop driver into interop/bin/go (see interop/README.md).
# Modules come from the Go module proxy as pinned by go.mod/go.sum; -mod=readonly
# makes a drifted go.mod fail here instead of being rewritten silently.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/../bin"
mkdir -p "$bin"
cd "$here"
go build -mod=readonly -trimpath -o "$bin/go" .
echo "interop/go: built $bin/go" >&2
