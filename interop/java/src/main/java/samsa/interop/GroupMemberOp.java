// `group-member`: one member of a consumer group (classic protocol, or the KIP-848
// consumer protocol with params.groupProtocol "consumer"; auto-commit off) with the
// asked assignor. Prints `assigned` after every rebalance, `records` for each
// poll that returned some, `committed` after each {"cmd":"commit"}; on stop/EOF it
// commits, leaves the group by closing, and reports {consumed}.
// Owns: the consumer (touched only by the main thread) and the stdin reader thread.
package samsa.interop;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

final class GroupMemberOp {
  private GroupMemberOp() {}

  private static final String STOP = "stop";
  private static final String COMMIT = "commit";

  static Result run(Job job) {
    String topic = job.text("topic");
    String groupId = job.text("groupId");
    String assignor = job.params.path("assignor").asText("range");
    String reset = job.params.path("autoOffsetReset").asText("earliest");

    Properties p = job.baseProps();
    p.put("group.id", groupId);
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", reset);
    String protocol = job.params.path("groupProtocol").asText("classic");
    if (protocol.equals("consumer")) {
      // KIP-848: the broker assigns; "range" and "uniform" name its assignors.
      p.put("group.protocol", "consumer");
      if (!assignor.equals("range") && !assignor.equals("uniform")) {
        return Result.error("params.assignor must be range or uniform with groupProtocol consumer, got " + assignor, null);
      }
      p.put("group.remote.assignor", assignor);
    } else switch (assignor) {
      case "range" -> p.put("partition.assignment.strategy", RangeAssignor.class.getName());
      case "cooperative-sticky" -> p.put("partition.assignment.strategy", CooperativeStickyAssignor.class.getName());
      default -> {
        return Result.error("params.assignor must be range or cooperative-sticky, got " + assignor, null);
      }
    }
    if (!protocol.equals("consumer")) p.put("group.protocol", "classic");

    // stdin is read on its own thread; the consumer is not thread-safe, so commands are
    // handed to the polling thread. EOF counts as stop. Bounded: a flood of commands blocks the reader.
    BlockingQueue<String> commands = new ArrayBlockingQueue<>(1024);
    Thread reader = new Thread(() -> readCommands(job, commands), "stdin-commands");
    reader.setDaemon(true);
    reader.start();

    int consumed = 0;
    Map<String, Object> data = new LinkedHashMap<>();
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    try {
      boolean[] assignedOnce = {false};
      consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

        // Called at the end of every rebalance by both protocols (eager: the whole new
        // assignment; cooperative: only what was added, possibly nothing), and the
        // consumer's assignment is already updated here, so it is what is reported.
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
          assignedOnce[0] = true;
          List<Integer> now = new ArrayList<>();
          for (TopicPartition tp : consumer.assignment()) now.add(tp.partition());
          now.sort(null);
          Map<String, Object> f = new LinkedHashMap<>();
          f.put("partitions", now);
          Out.event("assigned", f);
        }
      });
      while (true) {
        if (!assignedOnce[0] && job.expired()) {
          data.put("consumed", consumed);
          consumer.close(Duration.ofSeconds(5));
          return Result.error("deadline passed waiting for the first assignment of group " + groupId, data);
        }
        consumed += pollOnce(consumer);
        String cmd;
        while ((cmd = commands.poll()) != null) {
          if (cmd.equals(COMMIT)) {
            consumed += commit(consumer, job);
            Out.event("committed", null);
          } else if (cmd.equals(STOP)) {
            String commitError = null;
            try {
              consumed += commit(consumer, job);
            } catch (Exception e) {
              commitError = "commit on stop failed: " + ErrorText.describe(e);
            }
            data.put("consumed", consumed);
            consumer.close(Duration.ofMillis(job.timeoutMs));
            return commitError == null ? Result.ok(data) : Result.error(commitError, data);
          }
        }
      }
    } catch (Exception e) {
      data.put("consumed", consumed);
      try {
        consumer.close(Duration.ofSeconds(5));
      } catch (Exception ignored) {
        // the first error is the one worth reporting
      }
      return Result.error(ErrorText.describe(e), data);
    }
  }

  /** One poll; prints a `records` event when it returned any. Returns how many. */
  private static int pollOnce(KafkaConsumer<byte[], byte[]> consumer) {
    ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
    if (batch.isEmpty()) return 0;
    List<Map<String, Object>> recs = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : batch) recs.add(Json.record(r));
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("records", recs);
    Out.event("records", f);
    return recs.size();
  }

  /**
   * Commits the positions of what was consumed. A commit that meets a rebalance
   * (REBALANCE_IN_PROGRESS, or a generation that just ended) is retried after a poll,
   * which completes the rebalance (printing `assigned`, and `records` if it read any),
   * until the job's timeoutMs runs out. Returns the records read by those polls.
   */
  private static int commit(KafkaConsumer<byte[], byte[]> consumer, Job job) {
    long deadlineNs = System.nanoTime() + job.timeoutMs * 1_000_000L;
    int read = 0;
    while (true) {
      try {
        consumer.commitSync(Duration.ofMillis(job.timeoutMs));
        return read;
      } catch (RebalanceInProgressException | CommitFailedException e) {
        if (System.nanoTime() - deadlineNs >= 0) throw e;
        read += pollOnce(consumer);
      }
    }
  }

  private static void readCommands(Job job, BlockingQueue<String> commands) {
    try {
      String line;
      while ((line = job.stdin.readLine()) != null) {
        if (line.isBlank()) continue;
        JsonNode c;
        try {
          c = Json.MAPPER.readTree(line);
        } catch (Exception e) {
          System.err.println("java driver: ignoring a command that is not JSON: " + line);
          continue;
        }
        String cmd = c.path("cmd").asText("");
        if (cmd.equals(COMMIT) || cmd.equals(STOP)) {
          commands.put(cmd);
          if (cmd.equals(STOP)) return;
        } else {
          System.err.println("java driver: ignoring unknown command: " + line);
        }
      }
    } catch (Exception e) {
      System.err.println("java driver: stdin failed: " + e);
    }
    try {
      commands.put(STOP);
    } catch (InterruptedException ignored) {
      Thread.currentThread().interrupt();
    }
  }
}
