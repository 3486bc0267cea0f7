// `produce`: sends every record in order with KafkaProducer (its default partitioner
// when no partition is given), waits for every delivery report, flushes, and reports
// {partition, offset} per record. Owns: the producer it creates.
package samsa.interop;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

final class ProduceOp {
  private ProduceOp() {}

  static Result run(Job job) {
    String topic = job.text("topic");
    JsonNode params = job.params;
    int acks = params.path("acks").asInt(-1);
    String compression = params.path("compression").asText("none");
    boolean idempotent = params.path("idempotent").asBoolean(false);

    Properties p = job.baseProps();
    p.put("acks", Integer.toString(acks));
    p.put("compression.type", compression);
    // Java's default is enable.idempotence=true (which also forces acks=all), so it is
    // set both ways: the case asks for one or the other.
    p.put("enable.idempotence", Boolean.toString(idempotent));
    p.put("max.block.ms", Long.toString(job.timeoutMs));
    long requestTimeoutMs = Long.parseLong(p.getProperty("request.timeout.ms"));
    // delivery.timeout.ms must be >= linger.ms (5) + request.timeout.ms, or the producer refuses to start.
    p.put("delivery.timeout.ms", Long.toString(Math.max(job.timeoutMs, requestTimeoutMs + 5)));

    List<Map<String, Object>> results = new ArrayList<>();
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("results", results);
    JsonNode records = params.path("records");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (JsonNode r : records) sent.add(producer.send(toRecord(topic, r)));
      producer.flush();
      for (int i = 0; i < sent.size(); i++) {
        RecordMetadata md;
        try {
          md = sent.get(i).get(Math.max(1, job.remainingMs()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          producer.close(Duration.ZERO);
          return Result.error("timed out waiting for the delivery report of record " + i + " of " + sent.size(), data);
        } catch (Exception e) {
          producer.close(Duration.ZERO);
          return Result.error("record " + i + ": " + ErrorText.describe(e), data);
        }
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("partition", md.partition());
        one.put("offset", md.hasOffset() ? md.offset() : -1L);
        results.add(one);
      }
      producer.close(Duration.ofMillis(Math.max(1, job.remainingMs())));
    } catch (Exception e) {
      return Result.error(ErrorText.describe(e), data);
    }
    return Result.ok(data);
  }

  private static ProducerRecord<byte[], byte[]> toRecord(String topic, JsonNode r) {
    JsonNode k = r.get("key");
    byte[] key = k == null || k.isNull() ? null : k.asText().getBytes(StandardCharsets.UTF_8);
    JsonNode v = r.get("value");
    byte[] value = v == null || v.isNull() ? null : v.asText().getBytes(StandardCharsets.UTF_8);
    JsonNode part = r.get("partition");
    Integer partition = part == null || part.isNull() ? null : part.asInt();
    JsonNode ts = r.get("timestamp");
    Long timestamp = ts == null || ts.isNull() ? null : ts.asLong();
    List<org.apache.kafka.common.header.Header> headers = new ArrayList<>();
    for (JsonNode h : r.path("headers")) {
      JsonNode hv = h.get(1);
      headers.add(new RecordHeader(h.get(0).asText(), hv == null || hv.isNull() ? null : hv.asText().getBytes(StandardCharsets.UTF_8)));
    }
    return new ProducerRecord<>(topic, partition, timestamp, key, value, headers);
  }
}
