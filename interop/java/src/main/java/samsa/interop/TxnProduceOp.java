// `txn-produce`: a transactional KafkaProducer (transactional.id) runs the given
// transactions in order: begin, send every record, flush, then commit or abort. With
// `hold: true` the last transaction is left open after its records are acknowledged:
// the driver prints `open`, then waits for a command: `commit` tries to commit it (the
// result says whether that worked, e.g. PRODUCER_FENCED after another producer took
// the transactional id); `stop` or EOF halts the JVM without ending the transaction,
// as a crashed producer would (KafkaProducer.close would abort it). Owns: the producer.
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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

final class TxnProduceOp {
  private TxnProduceOp() {}

  static Result run(Job job) throws Exception {
    String topic = job.text("topic");
    JsonNode params = job.params;
    boolean hold = params.path("hold").asBoolean(false);

    Properties p = job.baseProps();
    p.put("transactional.id", job.text("transactionalId"));
    p.put("transaction.timeout.ms", Integer.toString(params.path("transactionTimeoutMs").asInt(60_000)));
    p.put("max.block.ms", Long.toString(job.timeoutMs));
    long requestTimeoutMs = Long.parseLong(p.getProperty("request.timeout.ms"));
    p.put("delivery.timeout.ms", Long.toString(Math.max(job.timeoutMs, requestTimeoutMs + 5)));

    List<Map<String, Object>> done = new ArrayList<>();
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("transactions", done);
    JsonNode txns = params.path("transactions");
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    try {
      producer.initTransactions();
      Out.event("initialized", null);
      for (int t = 0; t < txns.size(); t++) {
        JsonNode txn = txns.get(t);
        boolean last = t == txns.size() - 1;
        producer.beginTransaction();
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (JsonNode r : txn.path("records")) sent.add(producer.send(toRecord(topic, r)));
        producer.flush();
        List<Map<String, Object>> results = new ArrayList<>();
        for (Future<RecordMetadata> f : sent) {
          RecordMetadata md = f.get(Math.max(1, job.remainingMs()), TimeUnit.MILLISECONDS);
          Map<String, Object> one = new LinkedHashMap<>();
          one.put("partition", md.partition());
          one.put("offset", md.offset());
          results.add(one);
        }
        Map<String, Object> outcome = new LinkedHashMap<>();
        outcome.put("results", results);
        if (last && hold) {
          Out.event("open", Map.of("results", results));
          String line = job.stdin.readLine();
          JsonNode cmd = line == null ? null : Json.MAPPER.readTree(line);
          if (cmd == null || !cmd.path("cmd").asText("").equals("commit")) {
            // A crash, not a close: nothing may end the transaction.
            System.out.flush();
            Runtime.getRuntime().halt(0);
          }
          try {
            producer.commitTransaction();
            outcome.put("ended", "commit");
          } catch (Exception e) {
            outcome.put("ended", "failed");
            done.add(outcome);
            producer.close(Duration.ZERO);
            return Result.error("commit of the held transaction: " + ErrorText.describe(e), data);
          }
        } else if (txn.path("end").asText("commit").equals("abort")) {
          producer.abortTransaction();
          outcome.put("ended", "abort");
        } else {
          producer.commitTransaction();
          outcome.put("ended", "commit");
        }
        done.add(outcome);
      }
      producer.close(Duration.ofMillis(Math.max(1, job.remainingMs())));
    } catch (Exception e) {
      producer.close(Duration.ZERO);
      return Result.error(ErrorText.describe(e), data);
    }
    return Result.ok(data);
  }

  private static ProducerRecord<byte[], byte[]> toRecord(String topic, JsonNode r) {
    JsonNode k = r.get("key");
    byte[] key = k == null || k.isNull() ? null : k.asText().getBytes(StandardCharsets.UTF_8);
    byte[] value = r.path("value").asText("").getBytes(StandardCharsets.UTF_8);
    JsonNode part = r.get("partition");
    Integer partition = part == null || part.isNull() ? null : part.asInt();
    return new ProducerRecord<>(topic, partition, key, value);
  }
}
