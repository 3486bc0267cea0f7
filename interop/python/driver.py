"""Interop driver for confluent-kafka (Python, librdkafka bundled in the wheel).

Reads one job from stdin, runs it and writes JSON lines to stdout as
interop/README.md specifies. Owns the translation of each op to
confluent_kafka.Producer / Consumer / AdminClient calls; it must not decide
whether a case passed (the suite does), and it never commits unless told to.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time
import uuid
from typing import Any, Callable, NoReturn

from confluent_kafka import (
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    NewTopic,
    OffsetSpec,
    ResourceType,
)
from confluent_kafka import ConsumerGroupTopicPartitions, TopicCollection

_out_lock = threading.Lock()


def emit(obj: dict[str, Any]) -> None:
    # librdkafka callbacks may run on other threads; one lock keeps lines whole.
    line = json.dumps(obj, separators=(",", ":"))
    with _out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def event(name: str, **fields: Any) -> None:
    emit({"type": "event", "event": name, **fields})


def result(status: str, error: str | None = None, data: dict[str, Any] | None = None) -> NoReturn:
    msg: dict[str, Any] = {"type": "result", "status": status}
    if error:
        msg["error"] = " ".join(str(error).split())
    if data is not None:
        msg["data"] = data
    emit(msg)
    sys.stdout.flush()
    # os._exit: librdkafka handles still open (a timed-out job) must not hold the exit up.
    os._exit(0)


def log(fmt: str, *args: Any) -> None:
    sys.stderr.write(time.strftime("%H:%M:%S") + " python driver: " + (fmt % args) + "\n")
    sys.stderr.flush()


# librdkafka abbreviates a few broker error names; the contract asks for Kafka's
# (org.apache.kafka.common.protocol.Errors), so these codes are renamed.
KAFKA_ERROR_NAMES = {
    -1: "UNKNOWN_SERVER_ERROR",
    2: "CORRUPT_MESSAGE",
    3: "UNKNOWN_TOPIC_OR_PARTITION",
    4: "INVALID_FETCH_SIZE",
    10: "MESSAGE_TOO_LARGE",
    11: "STALE_CONTROLLER_EPOCH",
    17: "INVALID_TOPIC_EXCEPTION",
}


def err_text(e: BaseException | KafkaError | None) -> str:
    """Names the Kafka error first (e.g. TOPIC_ALREADY_EXISTS) when librdkafka gives one."""
    if e is None:
        return ""
    ke: Any = e
    if isinstance(e, KafkaException) and e.args and isinstance(e.args[0], KafkaError):
        ke = e.args[0]
    if isinstance(ke, KafkaError):
        return "%s: %s" % (KAFKA_ERROR_NAMES.get(ke.code(), ke.name()), ke.str())
    return "%s: %s" % (type(e).__name__, e)


def base_config(bootstrap: str) -> dict[str, Any]:
    conf: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "client.id": "samsa-interop-python",
        "error_cb": lambda e: log("client error: %s", err_text(e)),
    }
    level = os.environ.get("INTEROP_LOG", "")
    if level == "debug":
        conf["debug"] = "broker,protocol,cgrp,topic,msg,admin"
    return conf


class Deadline:
    def __init__(self, timeout_ms: int) -> None:
        self.timeout_ms = timeout_ms
        self.end = time.monotonic() + timeout_ms / 1000.0

    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def passed(self) -> bool:
        return time.monotonic() >= self.end


# ---------------------------------------------------------------- produce

CODECS = {"none": "none", "gzip": "gzip", "snappy": "snappy", "lz4": "lz4", "zstd": "zstd"}


def run_produce(bootstrap: str, p: dict[str, Any], dl: Deadline) -> NoReturn:
    acks = p.get("acks", -1)
    idempotent = bool(p.get("idempotent", True))
    codec = p.get("compression", "none")
    if codec not in CODECS:
        result("error", "unknown compression %r" % codec)
    conf = base_config(bootstrap)
    conf.update({
        "acks": str(acks),
        "compression.type": CODECS[codec],
        "enable.idempotence": idempotent,
        # librdkafka's own default is consistent_random (CRC32); murmur2_random is
        # the setting that places keys as Kafka's Java client does (interop/README.md).
        "partitioner": "murmur2_random",
        "message.timeout.ms": max(1, min(dl.timeout_ms, 2_147_483_647)),
    })
    try:
        producer = Producer(conf)
    except KafkaException as e:  # e.g. idempotence with acks 0/1, refused as Kafka's client does
        result("error", "client config: " + err_text(e))
    records = p.get("records", [])
    results: list[dict[str, Any] | None] = [None] * len(records)
    first_err: list[str] = []

    def on_delivery(i: int) -> Callable[[KafkaError | None, Any], None]:
        def cb(err: KafkaError | None, msg: Any) -> None:
            part = msg.partition()
            res: dict[str, Any] = {"partition": part if part is not None else -1, "offset": msg.offset()}
            if acks == 0 or res["offset"] is None or res["offset"] < 0:
                res["offset"] = -1  # acks=0: there is no response to learn it from
            if err is not None:
                res["offset"] = -1
                res["error"] = err_text(err)
                if not first_err:
                    first_err.append(err_text(err))
            results[i] = res
        return cb

    topic = p["topic"]
    for i, r in enumerate(records):
        kwargs: dict[str, Any] = {"value": r.get("value", "").encode() if r.get("value") is not None else None,
                                  "on_delivery": on_delivery(i)}
        if r.get("key") is not None:
            kwargs["key"] = r["key"].encode()
        if r.get("headers"):
            kwargs["headers"] = [(h[0], h[1].encode() if h[1] is not None else None) for h in r["headers"]]
        if r.get("partition") is not None:
            kwargs["partition"] = int(r["partition"])
        if r.get("timestamp") is not None:
            kwargs["timestamp"] = int(r["timestamp"])
        while True:
            try:
                producer.produce(topic, **kwargs)
                break
            except BufferError:  # local queue full: serve delivery reports, then retry
                producer.poll(0.1)
                if dl.passed():
                    break
            except KafkaException as e:
                results[i] = {"partition": -1, "offset": -1, "error": err_text(e)}
                if not first_err:
                    first_err.append(err_text(e))
                break
        producer.poll(0)
    remaining = producer.flush(dl.left())
    missing = 0
    out: list[dict[str, Any]] = []
    for r in results:
        if r is None:
            missing += 1
            out.append({"partition": -1, "offset": -1, "error": "no delivery report"})
        else:
            out.append(r)
    data = {"results": out}
    if missing or remaining:
        result("error", "timed out after %d ms waiting for delivery reports (%d of %d missing)"
               % (dl.timeout_ms, missing, len(records)), data)
    if first_err:
        result("error", first_err[0], data)
    result("ok", None, data)


# ---------------------------------------------------------------- txn-produce

def run_txn_produce(bootstrap: str, p: dict[str, Any], dl: Deadline) -> NoReturn:
    """A transactional producer runs the given transactions (interop/README.md,
    `txn-produce`); with `hold` the last one stays open until a `commit` command, and
    `stop`/EOF exits the process without ending it (a crashed producer)."""
    conf = base_config(bootstrap)
    conf.update({
        "transactional.id": p["transactionalId"],
        "transaction.timeout.ms": int(p.get("transactionTimeoutMs") or 60000),
        "partitioner": "murmur2_random",
        # librdkafka refuses a message timeout longer than the transaction timeout.
        "message.timeout.ms": max(1, min(dl.timeout_ms, int(p.get("transactionTimeoutMs") or 60000))),
    })
    try:
        producer = Producer(conf)
    except KafkaException as e:
        result("error", "client config: " + err_text(e))
    topic = p["topic"]
    done: list[dict[str, Any]] = []
    data: dict[str, Any] = {"transactions": done}
    txns = p.get("transactions", [])
    try:
        producer.init_transactions(max(0.1, dl.left()))
        event("initialized")
        for t_i, txn in enumerate(txns):
            producer.begin_transaction()
            recs = txn.get("records", [])
            results: list[dict[str, Any] | None] = [None] * len(recs)
            errors: list[str] = []

            def on_delivery(i: int) -> Callable[[KafkaError | None, Any], None]:
                def cb(err: KafkaError | None, msg: Any) -> None:
                    results[i] = {"partition": msg.partition(), "offset": msg.offset()}
                    if err is not None:
                        errors.append(err_text(err))
                return cb

            for i, r in enumerate(recs):
                kwargs: dict[str, Any] = {"value": str(r.get("value", "")).encode(), "on_delivery": on_delivery(i)}
                if r.get("key") is not None:
                    kwargs["key"] = r["key"].encode()
                if r.get("partition") is not None:
                    kwargs["partition"] = int(r["partition"])
                producer.produce(topic, **kwargs)
            if producer.flush(dl.left()) or any(x is None for x in results):
                result("error", "timed out after %d ms waiting for delivery reports" % dl.timeout_ms, data)
            if errors:
                result("error", errors[0], data)
            outcome: dict[str, Any] = {"results": results}
            if t_i == len(txns) - 1 and p.get("hold"):
                event("open", results=results)
                line = sys.stdin.readline()
                cmd = json.loads(line) if line.strip() else None
                if not cmd or cmd.get("cmd") != "commit":
                    sys.stdout.flush()
                    os._exit(0)  # a crash: a clean close would end the transaction
                try:
                    producer.commit_transaction(max(0.1, dl.left()))
                except KafkaException as e:
                    outcome["ended"] = "failed"
                    done.append(outcome)
                    result("error", "commit of the held transaction: " + err_text(e), data)
                outcome["ended"] = "commit"
            elif txn.get("end") == "abort":
                producer.abort_transaction(max(0.1, dl.left()))
                outcome["ended"] = "abort"
            else:
                producer.commit_transaction(max(0.1, dl.left()))
                outcome["ended"] = "commit"
            done.append(outcome)
    except KafkaException as e:
        result("error", err_text(e), data)
    producer.flush(dl.left())
    result("ok", None, data)


# ---------------------------------------------------------------- consume

def record_json(msg: Any) -> dict[str, Any]:
    key = msg.key()
    _, ts = msg.timestamp()
    headers = msg.headers() or []
    return {
        "partition": msg.partition(),
        "offset": msg.offset(),
        "key": key.decode("utf-8", "replace") if key is not None else None,
        "value": (msg.value() or b"").decode("utf-8", "replace"),
        "headers": [[k, (v or b"").decode("utf-8", "replace")] for k, v in headers],
        "timestamp": ts,
    }


def assign_consumer_config(bootstrap: str) -> dict[str, Any]:
    conf = base_config(bootstrap)
    conf.update({
        # The Python client refuses to build a consumer without group.id even for
        # assign(); a throwaway id that never joins and never commits satisfies it.
        "group.id": "samsa-interop-python-assign-%s" % uuid.uuid4().hex,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
    })
    return conf


def consume_config(bootstrap: str, p: dict[str, Any]) -> dict[str, Any]:
    conf = assign_consumer_config(bootstrap)
    # librdkafka defaults to read_committed; the contract's default is Java's read_uncommitted.
    conf["isolation.level"] = p.get("isolation") or "read_uncommitted"
    return conf


def partitions_of(consumer: Consumer, topic: str, dl: Deadline) -> list[int]:
    md = consumer.list_topics(topic, timeout=max(0.1, dl.left()))
    tm = md.topics.get(topic)
    if tm is None:
        raise KafkaException(KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART))
    if tm.error is not None:
        raise KafkaException(tm.error)
    return sorted(tm.partitions.keys())


def resolve_positions(consumer: Consumer, topic: str, parts: list[int], frm: Any, dl: Deadline) -> dict[int, int]:
    """One exact offset per partition, found before `ready` so that a `latest` job
    cannot miss records produced right after it (librdkafka resolves OFFSET_END lazily)."""
    if isinstance(frm, dict) and "offset" in frm:
        return {p: int(frm["offset"]) for p in parts}
    if isinstance(frm, dict) and "timestamp" in frm:
        tps = consumer.offsets_for_times([TopicPartition(topic, p, int(frm["timestamp"])) for p in parts],
                                         timeout=max(0.1, dl.left()))
        out: dict[int, int] = {}
        for tp in tps:
            if tp.error is not None:
                raise KafkaException(tp.error)
            if tp.offset < 0:
                # no record at/after the time: start at the end, as a consumer seeking by time does
                _, high = consumer.get_watermark_offsets(TopicPartition(topic, tp.partition),
                                                         timeout=max(0.1, dl.left()))
                out[tp.partition] = high
            else:
                out[tp.partition] = tp.offset
        return out
    if frm not in ("earliest", "latest", None):
        raise ValueError("unknown from %r" % (frm,))
    out = {}
    for p in parts:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=max(0.1, dl.left()))
        out[p] = high if frm == "latest" else low
    return out


def run_consume(bootstrap: str, p: dict[str, Any], dl: Deadline) -> NoReturn:
    topic = p["topic"]
    count = int(p.get("count", 0))
    records: list[dict[str, Any]] = []
    data: dict[str, Any] = {"records": records}
    consumer = Consumer(consume_config(bootstrap, p))
    try:
        parts = p.get("partitions") or partitions_of(consumer, topic, dl)
        pos = resolve_positions(consumer, topic, parts, p.get("from", "earliest"), dl)
    except (KafkaException, ValueError) as e:
        if dl.passed():
            result("error", "timed out after %d ms waiting for partition positions: %s"
                   % (dl.timeout_ms, err_text(e)), data)
        result("error", err_text(e), data)
    log("positions %s", pos)
    consumer.assign([TopicPartition(topic, part, off) for part, off in sorted(pos.items())])
    event("ready")
    while len(records) < count and not dl.passed():
        for msg in consumer.consume(num_messages=count - len(records), timeout=min(0.5, max(0.01, dl.left()))):
            if msg.error() is not None:
                log("fetch error: %s", err_text(msg.error()))
                continue
            records.append(record_json(msg))
    if len(records) < count:
        result("error", "timed out after %d ms waiting for records (%d of %d arrived)"
               % (dl.timeout_ms, len(records), count), data)
    consumer.close()
    result("ok", None, data)


# ---------------------------------------------------------------- group-member

def read_commands(q: "queue.Queue[str]") -> None:
    """Later stdin lines, one command each; EOF means stop."""
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            q.put(json.loads(line).get("cmd", ""))
        except ValueError:
            log("ignoring bad command line %r", line)
    q.put("stop")


def run_group_member(bootstrap: str, p: dict[str, Any], dl: Deadline) -> NoReturn:
    topic = p["topic"]
    assignor = p.get("assignor", "range")
    protocol = p.get("groupProtocol", "classic")
    conf = base_config(bootstrap)
    conf.update({
        "group.id": p["groupId"],
        "auto.offset.reset": p.get("autoOffsetReset", "earliest"),
        "enable.auto.commit": False,
    })
    if protocol == "consumer":
        # KIP-848: the broker assigns ("range" or "uniform"); librdkafka then
        # refuses the classic-only settings and hands out partitions incrementally.
        if assignor not in ("range", "uniform"):
            result("error", "assignor must be range or uniform with groupProtocol consumer, got %r" % assignor)
        for k in ("session.timeout.ms", "heartbeat.interval.ms", "partition.assignment.strategy"):
            conf.pop(k, None)
        conf.update({"group.protocol": "consumer", "group.remote.assignor": assignor})
        cooperative = True
    elif protocol == "classic":
        if assignor not in ("range", "cooperative-sticky"):
            result("error", "unknown assignor %r" % assignor)
        cooperative = assignor == "cooperative-sticky"
        conf["partition.assignment.strategy"] = assignor
    else:
        result("error", "unknown groupProtocol %r" % protocol)
    consumer = Consumer(conf)
    current: set[int] = set()
    assigned_once = threading.Event()

    # Callbacks run inside consume() on this thread. They apply the change
    # themselves (assign/incremental_assign), as the rebalance protocol asks.
    def on_assign(c: Consumer, parts: list[TopicPartition]) -> None:
        if cooperative:
            c.incremental_assign(parts)
        else:
            c.assign(parts)
            current.clear()
        current.update(tp.partition for tp in parts if tp.topic == topic)
        assigned_once.set()
        event("assigned", partitions=sorted(current))

    def on_revoke(c: Consumer, parts: list[TopicPartition]) -> None:
        if cooperative:
            c.incremental_unassign(parts)
        else:
            c.unassign()
        current.difference_update(tp.partition for tp in parts if tp.topic == topic)
        log("revoked %s", sorted(tp.partition for tp in parts))

    def on_lost(c: Consumer, parts: list[TopicPartition]) -> None:
        on_revoke(c, parts)
        log("lost %s", sorted(tp.partition for tp in parts))

    consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
    cmds: "queue.Queue[str]" = queue.Queue(maxsize=64)
    threading.Thread(target=read_commands, args=(cmds,), daemon=True).start()
    consumed = 0

    def commit() -> str | None:
        try:
            consumer.commit(asynchronous=False)
        except KafkaException as e:
            if e.args and isinstance(e.args[0], KafkaError) and e.args[0].code() == KafkaError._NO_OFFSET:
                return None  # nothing consumed since the last commit: nothing to do
            return err_text(e)
        return None

    while True:
        if not assigned_once.is_set() and dl.passed():
            consumer.close()
            result("error", "timed out after %d ms waiting for the first assignment" % dl.timeout_ms,
                   {"consumed": consumed})
        # consume() is the poll; commands are served between polls on this thread, so
        # "what it has consumed" at a commit is exactly what was printed.
        batch = []
        for msg in consumer.consume(num_messages=500, timeout=0.2):
            if msg.error() is not None:
                log("consume error: %s", err_text(msg.error()))
                continue
            batch.append(record_json(msg))
        if batch:
            consumed += len(batch)
            event("records", records=batch)
        while True:
            try:
                cmd = cmds.get_nowait()
            except queue.Empty:
                break
            if cmd == "commit":
                err = commit()
                if err:
                    event("committed", error=err)
                else:
                    event("committed")
            elif cmd == "stop":
                err = commit()
                consumer.close()  # leaves the group (LeaveGroup)
                if err:
                    result("error", "commit before leaving: " + err, {"consumed": consumed})
                result("ok", None, {"consumed": consumed})
            else:
                log("unknown command %r", cmd)


# ---------------------------------------------------------------- admin

GROUP_STATES = {  # the names the Kafka protocol (and Java's GroupState) use
    "UNKNOWN": "Unknown",
    "PREPARING_REBALANCING": "PreparingRebalance",
    "COMPLETING_REBALANCING": "CompletingRebalance",
    "STABLE": "Stable",
    "DEAD": "Dead",
    "EMPTY": "Empty",
}


def fail(e: BaseException | str) -> dict[str, Any]:
    return {"ok": False, "error": e if isinstance(e, str) else err_text(e)}


def one(futures: Any, dl: Deadline) -> Any:
    """The single future of a dict-of-futures admin call."""
    (f,) = list(futures.values())
    return f.result(timeout=max(0.1, dl.left()))


def str_value(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v)


def settle(dl: Deadline, what: str, check: Callable[[], bool]) -> None:
    """Waits, within the op's deadline, until check sees a step's effect. Apache Kafka
    applies topic and config changes through its controller and its brokers learn them
    a moment later, so a step counts as done only once its effect is visible
    (interop/README.md, `admin`); Samsa shows them at once. An exception means "not yet"."""
    while True:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - any failure here is "not visible yet"
            pass
        if dl.passed():
            raise TimeoutError("deadline passed waiting for " + what)
        time.sleep(min(0.1, dl.left()))


def partition_count(adm: AdminClient, topic: str, dl: Deadline) -> int:
    """Partitions in fresh metadata, -1 when the broker does not know the topic."""
    try:
        return len(topic_partitions(adm, topic, dl))
    except KafkaException as e:
        if e.args and isinstance(e.args[0], KafkaError) and e.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
            return -1
        raise


def topic_partitions(adm: AdminClient, topic: str, dl: Deadline) -> list[int]:
    desc = one(adm.describe_topics(TopicCollection([topic]), request_timeout=max(0.1, dl.left())), dl)
    return sorted(pi.id for pi in desc.partitions)


def run_step(adm: AdminClient, s: dict[str, Any], dl: Deadline) -> dict[str, Any]:
    do = s.get("do")
    rt = max(0.1, dl.left())
    if do == "createTopic":
        configs = {k: str_value(v) for k, v in (s.get("configs") or {}).items()}
        # replication_factor -1: the broker default, as Kafka's NewTopic(name, n, empty) asks
        nt = NewTopic(s["topic"], num_partitions=int(s["partitions"]), replication_factor=-1, config=configs)
        one(adm.create_topics([nt], request_timeout=rt), dl)
        want = max(1, int(s["partitions"]))
        settle(dl, "topic %s in metadata" % s["topic"], lambda: partition_count(adm, s["topic"], dl) >= want)
        return {"ok": True}
    if do == "listTopics":
        md = adm.list_topics(timeout=rt)
        names = [n for n, t in md.topics.items() if t.error is None]
        if not names:
            return {"ok": True, "topics": []}
        # Metadata in this client has no internal flag; describe_topics has it.
        futs = adm.describe_topics(TopicCollection(names), request_timeout=rt)
        keep = []
        for name, f in futs.items():
            try:
                if not f.result(timeout=max(0.1, dl.left())).is_internal:
                    keep.append(name)
            except KafkaException as e:
                log("describe %s after list: %s", name, err_text(e))
        return {"ok": True, "topics": sorted(keep)}
    if do == "describeTopic":
        return {"ok": True, "partitions": len(topic_partitions(adm, s["topic"], dl))}
    if do == "deleteTopic":
        one(adm.delete_topics([s["topic"]], request_timeout=rt), dl)
        settle(dl, "topic %s gone from metadata" % s["topic"], lambda: partition_count(adm, s["topic"], dl) < 0)
        return {"ok": True}
    if do == "describeConfigs":
        entries = one(adm.describe_configs([ConfigResource(ResourceType.TOPIC, s["topic"])], request_timeout=rt), dl)
        # a key the broker does not report is null, as in the Java driver
        return {"ok": True, "configs": {k: (entries[k].value if k in entries else None) for k in s.get("keys") or []}}
    if do == "alterConfigs":
        incr = [ConfigEntry(k, str_value(v), incremental_operation=AlterConfigOpType.SET)
                for k, v in (s.get("set") or {}).items()]
        res = ConfigResource(ResourceType.TOPIC, s["topic"], incremental_configs=incr)
        one(adm.incremental_alter_configs([res], request_timeout=rt), dl)

        def visible() -> bool:
            now = one(adm.describe_configs([ConfigResource(ResourceType.TOPIC, s["topic"])],
                                           request_timeout=max(0.1, dl.left())), dl)
            return all(k in now and now[k].value == str_value(v) for k, v in (s.get("set") or {}).items())
        settle(dl, "the new configs of %s" % s["topic"], visible)
        return {"ok": True}
    if do == "createPartitions":
        one(adm.create_partitions([NewPartitions(s["topic"], int(s["count"]))], request_timeout=rt), dl)
        count = int(s["count"])
        settle(dl, "%d partitions of %s in metadata" % (count, s["topic"]),
               lambda: partition_count(adm, s["topic"], dl) >= count)
        return {"ok": True}
    if do == "deleteRecords":
        tp = TopicPartition(s["topic"], int(s["partition"]), int(s["offset"]))
        dr = one(adm.delete_records([tp], request_timeout=rt), dl)
        return {"ok": True, "lowWatermark": dr.low_watermark}
    if do == "listOffsets":
        spec = s.get("spec")
        if spec == "earliest":
            os_ = OffsetSpec.earliest()
        elif spec == "latest":
            os_ = OffsetSpec.latest()
        elif isinstance(spec, dict) and "timestamp" in spec:
            os_ = OffsetSpec.for_timestamp(int(spec["timestamp"]))
        else:
            return fail("bad spec %r" % (spec,))
        tp = TopicPartition(s["topic"], int(s["partition"]))
        info = one(adm.list_offsets({tp: os_}, request_timeout=rt), dl)
        return {"ok": True, "offset": info.offset}
    if do == "listGroups":
        res = adm.list_consumer_groups(request_timeout=rt).result(timeout=rt)
        if res.errors:
            return fail(res.errors[0])
        return {"ok": True, "groups": sorted(g.group_id for g in res.valid)}
    if do == "describeGroup":
        d = one(adm.describe_consumer_groups([s["groupId"]], request_timeout=rt), dl)
        state = getattr(d, "state", None)
        name = state.name if state is not None else "UNKNOWN"
        return {"ok": True, "state": GROUP_STATES.get(name, name), "members": len(d.members)}
    if do == "deleteGroup":
        one(adm.delete_consumer_groups([s["groupId"]], request_timeout=rt), dl)
        return {"ok": True}
    if do == "fetchOffsets":
        # Every partition of the topic, -1 where the group has no commit.
        parts = topic_partitions(adm, s["topic"], dl)
        req = ConsumerGroupTopicPartitions(s["groupId"], [TopicPartition(s["topic"], p) for p in parts])
        res = one(adm.list_consumer_group_offsets([req], request_timeout=rt), dl)
        offsets: dict[str, int] = {}
        for tp in res.topic_partitions:
            if tp.error is not None:
                return fail(KafkaException(tp.error))
            offsets[str(tp.partition)] = tp.offset if tp.offset >= 0 else -1
        return {"ok": True, "offsets": offsets}
    # A step this driver has no implementation for (e.g. the Java-only cluster steps): "not in this client".
    return {"ok": False, "unsupported": True, "error": "unknown step %r: not implemented in the python driver" % (do,)}


def run_admin(bootstrap: str, p: dict[str, Any], dl: Deadline) -> NoReturn:
    adm = AdminClient(base_config(bootstrap))
    results: list[dict[str, Any]] = []
    for i, s in enumerate(p.get("steps", [])):
        try:
            r = run_step(adm, s, dl)
        except KafkaException as e:
            r = fail(e)
        except Exception as e:  # a future's TimeoutError, a bad step: this step fails, the next runs
            r = fail(e)
        results.append(r)
        if dl.passed():
            result("error", "timed out after %d ms waiting for admin step %d (%s)" % (dl.timeout_ms, i, s.get("do")),
                   {"results": results})
    result("ok", None, {"results": results})


def main() -> None:
    first = sys.stdin.readline()
    if not first.strip():
        sys.stderr.write("python driver: no job on stdin\n")
        sys.exit(2)
    job = json.loads(first)
    params = job.get("params") or {}
    timeout_ms = int(params.get("timeoutMs") or 30000)
    dl = Deadline(timeout_ms)
    op = job.get("op")
    bootstrap = job["bootstrap"]
    if op == "produce":
        run_produce(bootstrap, params, dl)
    elif op == "consume":
        run_consume(bootstrap, params, dl)
    elif op == "group-member":
        run_group_member(bootstrap, params, dl)
    elif op == "admin":
        run_admin(bootstrap, params, dl)
    elif op == "txn-produce":
        run_txn_produce(bootstrap, params, dl)
    result("unsupported", "unknown op %r" % (op,))


if __name__ == "__main__":
    main()
