#!/usr/bin/env bash
# Runs one job of each interop op (admin with every step, produce, consume from each
# position, a group member that is stopped) with one driver against a running broker,
# and prints every line the driver wrote. A look-see for people writing or debugging a
# driver: it checks nothing (the suite in test/interop/ does that).
# Usage: interop/smoke.sh DRIVER BOOTSTRAP   (DRIVER: go|python|java|… or a path)
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 DRIVER BOOTSTRAP" >&2; exit 2; fi
here="$(cd "$(dirname "$0")" && pwd)"
driver="$1"
if [ ! -x "$driver" ]; then driver="$here/bin/$1"; fi
if [ ! -x "$driver" ]; then echo "smoke: no driver $1 (build it: scripts/interop-build.sh $1)" >&2; exit 2; fi
exec python3 - "$driver" "$2" <<'PY'
import json, subprocess, sys, time, threading

driver, bootstrap = sys.argv[1], sys.argv[2]
topic = "smoke-%d" % int(time.time() * 1000)
group = topic + "-g"

def run(op, params, commands=None, wait_for=None):
    """Runs one job; prints each stdout line as it comes. commands: lines sent after
    the first line that matches wait_for (an event name)."""
    print("== %s %s" % (op, json.dumps(params)[:160]), flush=True)
    p = subprocess.Popen([driver], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    p.stdin.write(json.dumps({"op": op, "bootstrap": bootstrap, "params": params}) + "\n")
    p.stdin.flush()
    err = []
    t = threading.Thread(target=lambda: err.extend(p.stderr.readlines()), daemon=True)
    t.start()
    last = None
    for line in p.stdout:
        print("   " + line.rstrip(), flush=True)
        try:
            msg = json.loads(line)
        except ValueError:
            print("   !! not JSON", flush=True)
            continue
        last = msg
        if commands and wait_for and msg.get("event") == wait_for:
            time.sleep(0.5)
            for c in commands:
                p.stdin.write(json.dumps(c) + "\n")
                p.stdin.flush()
            commands = None
    p.stdin.close() if not p.stdin.closed else None
    rc = p.wait()
    t.join(timeout=5)
    if rc != 0 or last is None or last.get("type") != "result":
        print("   !! exit %d; stderr tail:\n%s" % (rc, "".join(err[-20:])), flush=True)
    return last

now = int(time.time() * 1000)
run("admin", {"steps": [
    {"do": "createTopic", "topic": topic, "partitions": 3, "configs": {"retention.ms": "86400000"}},
    {"do": "createTopic", "topic": topic, "partitions": 3},
    {"do": "listTopics"},
    {"do": "describeTopic", "topic": topic},
    {"do": "describeConfigs", "topic": topic, "keys": ["retention.ms", "cleanup.policy"]},
    {"do": "alterConfigs", "topic": topic, "set": {"retention.ms": "3600000"}},
    {"do": "describeConfigs", "topic": topic, "keys": ["retention.ms"]},
]})
records = [{"key": "k%d" % i, "value": "v%d" % i, "headers": [["h", str(i)]]} for i in range(6)]
records.append({"key": None, "value": "pinned", "partition": 0, "timestamp": now - 60000})
run("produce", {"topic": topic, "acks": -1, "compression": "zstd", "idempotent": True, "records": records})
run("consume", {"topic": topic, "from": "earliest", "count": 7, "timeoutMs": 10000})
run("consume", {"topic": topic, "partitions": [0], "from": {"offset": 1}, "count": 1, "timeoutMs": 10000})
run("consume", {"topic": topic, "partitions": [0], "from": {"timestamp": now - 120000}, "count": 1, "timeoutMs": 10000})
run("consume", {"topic": topic, "from": "latest", "count": 1, "timeoutMs": 2000})
run("group-member", {"topic": topic, "groupId": group, "assignor": "range", "autoOffsetReset": "earliest", "timeoutMs": 20000},
    commands=[{"cmd": "commit"}, {"cmd": "stop"}], wait_for="records")
run("admin", {"steps": [
    {"do": "listGroups"},
    {"do": "describeGroup", "groupId": group},
    {"do": "fetchOffsets", "groupId": group, "topic": topic},
    {"do": "createPartitions", "topic": topic, "count": 4},
    {"do": "describeTopic", "topic": topic},
    {"do": "listOffsets", "topic": topic, "partition": 0, "spec": "earliest"},
    {"do": "listOffsets", "topic": topic, "partition": 0, "spec": "latest"},
    {"do": "listOffsets", "topic": topic, "partition": 0, "spec": {"timestamp": now - 120000}},
    {"do": "listOffsets", "topic": topic, "partition": 0, "spec": {"timestamp": now + 3600000}},
    {"do": "deleteRecords", "topic": topic, "partition": 0, "offset": 1},
    {"do": "listOffsets", "topic": topic, "partition": 0, "spec": "earliest"},
    {"do": "deleteGroup", "groupId": group},
    {"do": "listGroups"},
    {"do": "deleteTopic", "topic": topic},
    {"do": "describeTopic", "topic": topic},
]})
PY
