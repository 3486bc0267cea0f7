#!/usr/bin/env bash
# Three group members of one driver (or of several, one per member) against a running
# broker: creates a 6-partition topic, produces 60 records, starts the members 0.5 s
# apart, waits until their assignments cover every partition, commits, stops the first
# member and waits until the other two cover every partition again, then stops them.
# Prints each member's `assigned` events (with seconds since start), record counts and
# results, and the group as admin sees it. A look-see like smoke.sh: it checks nothing.
# Usage: interop/group-smoke.sh DRIVER[,DRIVER2,DRIVER3] BOOTSTRAP [range|cooperative-sticky]
set -euo pipefail
if [ $# -lt 2 ]; then echo "usage: $0 DRIVER[,DRIVER2,DRIVER3] BOOTSTRAP [range|cooperative-sticky]" >&2; exit 2; fi
here="$(cd "$(dirname "$0")" && pwd)"
exec python3 - "$here" "$1" "$2" "${3:-range}" <<'PY'
import json, os, subprocess, sys, threading, time

here, drivers, bootstrap, assignor = sys.argv[1:5]
paths = []
for d in drivers.split(","):
    p = d if os.access(d, os.X_OK) and os.path.isfile(d) else os.path.join(here, "bin", d)
    if not os.access(p, os.X_OK):
        sys.exit("group-smoke: no driver %s (build it: scripts/interop-build.sh %s)" % (d, d))
    paths.append(p)
while len(paths) < 3:
    paths.append(paths[-1])
admin_driver = paths[0]
tag = "%s-%d" % (assignor, int(time.time() * 1000))
topic, group = "gsmoke-" + tag, "gsmoke-g-" + tag
PARTITIONS = 6

def job(op, params):
    p = subprocess.run([admin_driver], input=json.dumps({"op": op, "bootstrap": bootstrap, "params": params}) + "\n",
                       capture_output=True, text=True, timeout=120)
    return json.loads(p.stdout.splitlines()[-1])

t0 = time.time()
def say(msg):
    print("%6.2f %s" % (time.time() - t0, msg), flush=True)

class Member:
    def __init__(self, name, path):
        self.name, self.assigned, self.result = name, None, None
        self.p = subprocess.Popen([path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.send({"op": "group-member", "bootstrap": bootstrap, "params": {
            "topic": topic, "groupId": group, "assignor": assignor, "autoOffsetReset": "earliest", "timeoutMs": 60000}})
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for line in self.p.stdout:
            m = json.loads(line)
            if m.get("event") == "assigned":
                self.assigned = m["partitions"]
                say("%s assigned %s" % (self.name, m["partitions"]))
            elif m.get("event") == "records":
                say("%s records %d from partitions %s" % (self.name, len(m["records"]), sorted({r["partition"] for r in m["records"]})))
            elif m.get("type") == "result":
                self.result = m
                say("%s result %s" % (self.name, line.strip()))
            else:
                say("%s %s" % (self.name, line.strip()))

    def send(self, obj):
        self.p.stdin.write(json.dumps(obj) + "\n")
        self.p.stdin.flush()

def covered(members, timeout_s=60):
    end = time.time() + timeout_s
    while time.time() < end:
        now = [m.assigned for m in members]
        if all(a is not None for a in now) and sorted(sum(now, [])) == list(range(PARTITIONS)):
            time.sleep(1.0)  # and still so a second later
            if [m.assigned for m in members] == now:
                return now
        time.sleep(0.2)
    return None

print(job("admin", {"steps": [{"do": "createTopic", "topic": topic, "partitions": PARTITIONS}]}), flush=True)
print(job("produce", {"topic": topic, "acks": -1, "compression": "none", "idempotent": True,
                      "records": [{"key": "k%d" % i, "value": "v%d" % i} for i in range(60)]})["status"], flush=True)
t0 = time.time()
members = []
for i, path in enumerate(paths[:3]):
    members.append(Member("m%d(%s)" % (i + 1, os.path.basename(path)), path))
    time.sleep(0.5)
say("all partitions covered: %s" % covered(members))
for m in members:
    m.send({"cmd": "commit"})
time.sleep(1)
say("group: %s" % job("admin", {"steps": [{"do": "describeGroup", "groupId": group}]})["data"]["results"])
members[0].send({"cmd": "stop"})
members[0].p.wait(timeout=60)
say("covered after %s left: %s" % (members[0].name, covered(members[1:])))
for m in members[1:]:
    m.send({"cmd": "stop"})
for m in members[1:]:
    m.p.wait(timeout=60)
say("exit codes %s" % [m.p.returncode for m in members])
say("group: %s" % job("admin", {"steps": [{"do": "describeGroup", "groupId": group},
                                          {"do": "fetchOffsets", "groupId": group, "topic": topic}]})["data"]["results"])
PY
