#!/usr/bin/env bash
# Checks the README's `npm start`: a broker comes up with built-in defaults (data in
# ./data), says it is ready, and stops cleanly on SIGTERM leaving a clean-shutdown marker.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf ./data
log=$(mktemp)
node dist/src/cli/main.js serve >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  grep -q '^samsa ready' "$log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "check-start: broker exited early"; exit 1; }
  sleep 0.1
done
grep '^samsa ready' "$log" || { cat "$log"; echo "check-start: no ready line"; kill -9 "$pid"; exit 1; }
kill -TERM "$pid"
wait "$pid" || { cat "$log"; echo "check-start: non-zero exit after SIGTERM"; exit 1; }
test -f ./data/.clean_shutdown || { echo "check-start: no clean-shutdown marker in ./data"; exit 1; }
rm -rf ./data "$log"
echo "check-start: npm start served with defaults and stopped cleanly"
