# confluent-kafka-python (librdkafka) against a secured Samsa listener: produce N
# records and consume them back, with the security settings given as key=value
# arguments (librdkafka's names). Usage: python secure_client.py BOOTSTRAP TOPIC N [k=v ...]
# Prints one line: "ok <produced> <consumed>" or "error <message>". Test-only.
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition


def main() -> None:
    bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    common = {"bootstrap.servers": bootstrap}
    for kv in sys.argv[4:]:
        k, v = kv.split("=", 1)
        common[k] = v
    errors: list[str] = []

    def why() -> str:
        # The first errors say why (an authentication failure comes before the
        # delivery timeouts it causes); bounded so a long run prints one line.
        distinct = list(dict.fromkeys(errors))[:3]
        return "; ".join(distinct) if distinct else "timeout"

    try:
        producer = Producer({**common, "acks": "all", "message.timeout.ms": 20000, "error_cb": lambda e: errors.append(str(e))})
        delivered = 0

        def on_delivery(err, _msg):
            nonlocal delivered
            if err is None:
                delivered += 1
            else:
                errors.append(str(err))

        for i in range(n):
            producer.produce(topic, key=f"k{i}", value=f"v{i}", partition=0, on_delivery=on_delivery)
        producer.flush(25)
        if delivered != n:
            print(f"error produced {delivered} of {n}: {why()}")
            return
        consumer = Consumer({**common, "group.id": "secure-py", "enable.auto.commit": False, "error_cb": lambda e: errors.append(str(e))})
        consumer.assign([TopicPartition(topic, 0, 0)])
        got = 0
        deadline = time.time() + 20
        while got < n and time.time() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                got += 1
        consumer.close()
        print(f"ok {delivered} {got}" if got == n else f"error consumed {got} of {n}: {why()}")
    except KafkaException as e:
        print(f"error {e}")


main()
