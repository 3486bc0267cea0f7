#!/usr/bin/env bash
# Checks the README's first command, `npm start`, on this checkout: a broker comes up
# with built-in defaults (Kafka :9092, HTTP :8080, data in ./data), answers /healthz,
# and stops cleanly on SIGTERM, leaving the clean-shutdown marker.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf ./data
log=$(mktemp)
# Own process group, so the signal reaches npm, its shell and the broker alike.
setsid npm start >"$log" 2>&1 &
pid=$!
ready=0
# Up to 180 s: `npm start` compiles first (tsc), which takes ~10 s on a quiet machine and
# far longer on a loaded one; the check is about the broker, not a deadline for tsc.
for _ in $(seq 1 1800); do
  if grep -q '^samsa ready' "$log"; then ready=1; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ "$ready" != 1 ]; then cat "$log"; echo "check-start: npm start did not become ready"; kill -9 -- "-$pid" 2>/dev/null || true; exit 1; fi
grep '^samsa ready' "$log"
code=$(node -e "fetch('http://127.0.0.1:8080/healthz').then(r=>console.log(r.status),()=>console.log('down'))")
[ "$code" = 200 ] || { cat "$log"; echo "check-start: /healthz answered $code"; kill -9 -- "-$pid"; exit 1; }
kill -TERM -- "-$pid"
# Wait for the whole process group, not just npm: npm exits on SIGTERM at once, while
# the broker (its grandchild) is still flushing and writing the marker.
for _ in $(seq 1 100); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 -- "-$pid" 2>/dev/null; then cat "$log"; echo "check-start: still running 10 s after SIGTERM"; kill -9 -- "-$pid"; exit 1; fi
test -f ./data/.clean_shutdown || { cat "$log"; echo "check-start: no clean-shutdown marker in ./data"; exit 1; }
rm -rf ./data "$log"
echo "check-start: npm start served with defaults (healthz 200) and stopped cleanly on SIGTERM"
