// `consume`: assigns partitions without a group, positions each per `from`, prints
// `ready` once every position is resolved, then reads until `count` records arrived
// or the deadline. Owns: the consumer it creates.
package samsa.interop;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

final class ConsumeOp {
  private ConsumeOp() {}

  static Result run(Job job) {
    String topic = job.text("topic");
    JsonNode params = job.params;
    int count = params.path("count").asInt(0);
    JsonNode from = params.path("from");

    Properties p = job.baseProps();
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", "none");
    p.put("default.api.timeout.ms", Long.toString(Math.max(1_000, job.timeoutMs)));
    // Java's default is read_uncommitted; transaction cases ask for read_committed.
    p.put("isolation.level", params.path("isolation").asText("read_uncommitted"));

    List<Map<String, Object>> records = new ArrayList<>();
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("records", records);
    String waitingFor = "the partitions of " + topic;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      if (params.path("partitions").isArray()) {
        for (JsonNode n : params.path("partitions")) tps.add(new TopicPartition(topic, n.asInt()));
      } else {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofMillis(Math.max(1, job.remainingMs())));
        if (infos == null || infos.isEmpty()) return Result.error("topic " + topic + " has no partitions (waiting for its metadata)", data);
        for (PartitionInfo info : infos) tps.add(new TopicPartition(topic, info.partition()));
      }
      tps.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
      consumer.assign(tps);

      waitingFor = "the start positions";
      if (from.isTextual() && from.asText().equals("earliest")) {
        consumer.seekToBeginning(tps);
      } else if (from.isTextual() && from.asText().equals("latest")) {
        consumer.seekToEnd(tps);
      } else if (from.has("offset")) {
        for (TopicPartition tp : tps) consumer.seek(tp, from.get("offset").asLong());
      } else if (from.has("timestamp")) {
        Map<TopicPartition, Long> query = new HashMap<>();
        for (TopicPartition tp : tps) query.put(tp, from.get("timestamp").asLong());
        Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, Duration.ofMillis(Math.max(1, job.remainingMs())));
        List<TopicPartition> none = new ArrayList<>();
        for (TopicPartition tp : tps) {
          OffsetAndTimestamp ot = found.get(tp);
          if (ot == null) none.add(tp); // no record at or after that time: start at the end
          else consumer.seek(tp, ot.offset());
        }
        if (!none.isEmpty()) consumer.seekToEnd(none);
      } else {
        return Result.error("params.from must be earliest, latest, {offset} or {timestamp}, got " + from, data);
      }
      // seekToBeginning/End are lazy: position() resolves them now, so `ready` means positioned.
      for (TopicPartition tp : tps) consumer.position(tp, Duration.ofMillis(Math.max(1, job.remainingMs())));
      Out.event("ready", null);

      waitingFor = count + " records";
      while (records.size() < count) {
        if (job.expired()) return Result.error("deadline passed waiting for " + waitingFor + " (got " + records.size() + ")", data);
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(Math.min(200, Math.max(1, job.remainingMs()))))) {
          if (records.size() < count) records.add(Json.record(r));
        }
      }
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      return Result.error("timed out waiting for " + waitingFor + ": " + ErrorText.describe(e), data);
    } catch (Exception e) {
      return Result.error(ErrorText.describe(e), data);
    }
    return Result.ok(data);
  }
}
