// `admin`: runs each step with the Java Admin client, in order, never stopping at a
// failed one; one {ok, error?, …} per step. Owns: the Admin client it creates.
package samsa.interop;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;

final class AdminOp {
  private AdminOp() {}

  static Result run(Job job) {
    Properties p = job.baseProps();
    p.put("default.api.timeout.ms", Long.toString(Math.max(1_000, job.timeoutMs)));
    List<Map<String, Object>> results = new ArrayList<>();
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("results", results);
    try (Admin admin = Admin.create(p)) {
      int i = 0;
      for (JsonNode step : job.params.path("steps")) {
        String what = step.path("do").asText("");
        if (job.expired()) {
          admin.close(Duration.ZERO);
          return Result.error("deadline passed before step " + i + " (" + what + ")", data);
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("ok", true);
        try {
          runStep(admin, job, what, step, r);
        } catch (Exception e) {
          r.clear();
          r.put("ok", false);
          r.put("error", ErrorText.oneLine(ErrorText.describe(e)));
        }
        results.add(r);
        i++;
      }
      admin.close(Duration.ofMillis(Math.max(1, job.remainingMs())));
    }
    return Result.ok(data);
  }

  private static <T> T await(KafkaFuture<T> f, Job job) throws Exception {
    return f.get(Math.max(1, job.remainingMs()), TimeUnit.MILLISECONDS);
  }

  /** A check that may throw: an exception counts as "not yet". */
  private interface Check {
    boolean done() throws Exception;
  }

  /**
   * Waits, bounded by the op's deadline, until a step's effect is visible. Kafka applies
   * topic and config changes through its controller and the brokers learn them a little
   * later, so without this the next step could still see the old state; a step counts
   * as done when its effect is visible (interop/README.md, `admin`).
   */
  private static void settle(Job job, String what, Check check) throws Exception {
    while (true) {
      try {
        if (check.done()) return;
      } catch (Exception e) {
        // not visible yet
      }
      if (job.expired()) throw new java.util.concurrent.TimeoutException("deadline passed waiting for " + what);
      Thread.sleep(Math.min(100, Math.max(1, job.remainingMs())));
    }
  }

  /** Partitions of a topic as the metadata shows them now, or -1 when the topic is unknown. */
  private static int partitionCount(Admin admin, String topic) throws Exception {
    try {
      return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) return -1;
      throw e;
    }
  }

  private static String need(JsonNode step, String field) {
    JsonNode n = step.get(field);
    if (n == null || n.isNull()) throw new IllegalArgumentException("step field " + field + " is missing");
    return n.asText();
  }

  private static void runStep(Admin admin, Job job, String what, JsonNode step, Map<String, Object> r) throws Exception {
    switch (what) {
      case "createTopic" -> {
        JsonNode parts = step.get("partitions");
        Optional<Integer> partitions = parts == null || parts.isNull() ? Optional.empty() : Optional.of(parts.asInt());
        NewTopic t = new NewTopic(need(step, "topic"), partitions, Optional.empty());
        if (step.path("configs").isObject()) {
          Map<String, String> configs = new LinkedHashMap<>();
          for (Iterator<Map.Entry<String, JsonNode>> it = step.path("configs").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            configs.put(e.getKey(), e.getValue().asText());
          }
          t.configs(configs);
        }
        await(admin.createTopics(List.of(t)).all(), job);
        settle(job, "topic " + t.name() + " in metadata", () -> partitionCount(admin, t.name()) >= Math.max(1, partitions.orElse(1)));
      }
      case "listTopics" -> r.put("topics", new ArrayList<>(new TreeSet<>(await(admin.listTopics().names(), job))));
      case "describeTopic" -> {
        String topic = need(step, "topic");
        TopicDescription d = await(admin.describeTopics(List.of(topic)).allTopicNames(), job).get(topic);
        r.put("partitions", d.partitions().size());
      }
      case "deleteTopic" -> {
        String topic = need(step, "topic");
        await(admin.deleteTopics(List.of(topic)).all(), job);
        settle(job, "topic " + topic + " gone from metadata",
            () -> partitionCount(admin, topic) < 0 && !admin.listTopics().names().get().contains(topic));
      }
      case "describeConfigs" -> {
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, need(step, "topic"));
        Config config = await(admin.describeConfigs(List.of(res)).all(), job).get(res);
        Map<String, Object> out = new LinkedHashMap<>();
        for (JsonNode k : step.path("keys")) {
          ConfigEntry e = config.get(k.asText());
          out.put(k.asText(), e == null ? null : e.value());
        }
        r.put("configs", out);
      }
      case "alterConfigs" -> {
        ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, need(step, "topic"));
        List<AlterConfigOp> ops = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = step.path("set").fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          ops.add(new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue().asText()), AlterConfigOp.OpType.SET));
        }
        await(admin.incrementalAlterConfigs(Map.of(res, ops)).all(), job);
        settle(job, "the new configs of " + res.name(), () -> {
          Config now = admin.describeConfigs(List.of(res)).all().get().get(res);
          for (AlterConfigOp op : ops) {
            ConfigEntry e = now.get(op.configEntry().name());
            if (e == null || !op.configEntry().value().equals(e.value())) return false;
          }
          return true;
        });
      }
      case "createPartitions" -> {
        int count = Integer.parseInt(need(step, "count"));
        String topic = need(step, "topic");
        await(admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(count))).all(), job);
        settle(job, count + " partitions of " + topic + " in metadata", () -> partitionCount(admin, topic) >= count);
      }
      case "deleteRecords" -> {
        TopicPartition tp = new TopicPartition(need(step, "topic"), Integer.parseInt(need(step, "partition")));
        long offset = Long.parseLong(need(step, "offset"));
        long low = await(admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(offset))).lowWatermarks().get(tp), job).lowWatermark();
        r.put("lowWatermark", low);
      }
      case "listOffsets" -> {
        TopicPartition tp = new TopicPartition(need(step, "topic"), Integer.parseInt(need(step, "partition")));
        JsonNode spec = step.path("spec");
        OffsetSpec os;
        if (spec.isTextual() && spec.asText().equals("earliest")) os = OffsetSpec.earliest();
        else if (spec.isTextual() && spec.asText().equals("latest")) os = OffsetSpec.latest();
        else if (spec.has("timestamp")) os = OffsetSpec.forTimestamp(spec.get("timestamp").asLong());
        else throw new IllegalArgumentException("spec must be earliest, latest or {timestamp}, got " + spec);
        r.put("offset", await(admin.listOffsets(Map.of(tp, os)).partitionResult(tp), job).offset());
      }
      case "listGroups" -> {
        TreeSet<String> ids = new TreeSet<>();
        for (GroupListing g : await(admin.listGroups().all(), job)) ids.add(g.groupId());
        r.put("groups", new ArrayList<>(ids));
      }
      case "describeGroup" -> {
        String groupId = need(step, "groupId");
        ConsumerGroupDescription d = await(admin.describeConsumerGroups(List.of(groupId)).describedGroups().get(groupId), job);
        r.put("state", d.groupState().toString());
        r.put("members", d.members().size());
      }
      case "deleteGroup" -> await(admin.deleteConsumerGroups(List.of(need(step, "groupId"))).all(), job);
      case "fetchOffsets" -> {
        String groupId = need(step, "groupId");
        String topic = need(step, "topic");
        // Ask for every partition of the topic, so those without a commit come back as -1.
        TopicDescription d = await(admin.describeTopics(List.of(topic)).allTopicNames(), job).get(topic);
        List<TopicPartition> tps = new ArrayList<>();
        for (var info : d.partitions()) tps.add(new TopicPartition(topic, info.partition()));
        ListConsumerGroupOffsetsSpec spec = new ListConsumerGroupOffsetsSpec().topicPartitions(tps);
        Map<TopicPartition, OffsetAndMetadata> got =
            await(admin.listConsumerGroupOffsets(Map.of(groupId, spec)).partitionsToOffsetAndMetadata(groupId), job);
        Map<String, Object> offsets = new TreeMap<>((a, b) -> Integer.compare(Integer.parseInt(a), Integer.parseInt(b)));
        for (TopicPartition tp : tps) {
          OffsetAndMetadata om = got.get(tp);
          offsets.put(Integer.toString(tp.partition()), om == null ? -1L : om.offset());
        }
        r.put("offsets", offsets);
      }
      case "describeTransaction" -> {
        String id = need(step, "transactionalId");
        org.apache.kafka.clients.admin.TransactionDescription d = await(admin.describeTransactions(List.of(id)).description(id), job);
        r.put("state", d.state().toString());
        r.put("producerId", d.producerId());
        r.put("producerEpoch", d.producerEpoch());
        List<String> parts = new ArrayList<>();
        for (TopicPartition tp : d.topicPartitions()) parts.add(tp.topic() + "-" + tp.partition());
        parts.sort(null);
        r.put("partitions", parts);
      }
      case "listTransactions" -> {
        List<Map<String, Object>> list = new ArrayList<>();
        for (org.apache.kafka.clients.admin.TransactionListing t : await(admin.listTransactions().all(), job)) {
          Map<String, Object> one = new LinkedHashMap<>();
          one.put("transactionalId", t.transactionalId());
          one.put("producerId", t.producerId());
          one.put("state", t.state().toString());
          list.add(one);
        }
        r.put("transactions", list);
      }
      case "describeProducers" -> {
        TopicPartition tp = new TopicPartition(need(step, "topic"), step.path("partition").asInt());
        List<Map<String, Object>> list = new ArrayList<>();
        for (org.apache.kafka.clients.admin.ProducerState ps : await(admin.describeProducers(List.of(tp)).partitionResult(tp), job).activeProducers()) {
          Map<String, Object> one = new LinkedHashMap<>();
          one.put("producerId", ps.producerId());
          one.put("producerEpoch", ps.producerEpoch());
          one.put("lastSequence", ps.lastSequence());
          one.put("currentTransactionStartOffset", ps.currentTransactionStartOffset().orElse(-1L));
          list.add(one);
        }
        r.put("producers", list);
      }
      case "describeCluster" -> {
        org.apache.kafka.clients.admin.DescribeClusterResult d = admin.describeCluster();
        r.put("clusterId", await(d.clusterId(), job));
        r.put("brokers", await(d.nodes(), job).size());
        r.put("controller", await(d.controller(), job) != null);
      }
      case "describeLogDirs" -> {
        String topic = need(step, "topic");
        List<Integer> ids = new ArrayList<>();
        for (org.apache.kafka.common.Node n : await(admin.describeCluster().nodes(), job)) ids.add(n.id());
        Map<String, Object> sizes = new TreeMap<>((a, b) -> Integer.compare(Integer.parseInt(a), Integer.parseInt(b)));
        int dirs = 0;
        boolean spaceKnown = true;
        for (Map<String, org.apache.kafka.clients.admin.LogDirDescription> byDir : await(admin.describeLogDirs(ids).allDescriptions(), job).values()) {
          for (org.apache.kafka.clients.admin.LogDirDescription dir : byDir.values()) {
            dirs++;
            spaceKnown &= dir.totalBytes().isPresent() && dir.usableBytes().isPresent();
            for (Map.Entry<TopicPartition, org.apache.kafka.clients.admin.ReplicaInfo> e : dir.replicaInfos().entrySet()) {
              if (!e.getKey().topic().equals(topic) || e.getValue().isFuture()) continue;
              sizes.merge(Integer.toString(e.getKey().partition()), e.getValue().size(), (x, y) -> (Long) x + (Long) y);
            }
          }
        }
        r.put("dirs", dirs);
        r.put("spaceKnown", spaceKnown);
        r.put("sizes", sizes);
      }
      case "electLeaders" -> {
        TopicPartition tp = new TopicPartition(need(step, "topic"), Integer.parseInt(need(step, "partition")));
        Map<TopicPartition, Optional<Throwable>> got = await(admin.electLeaders(org.apache.kafka.common.ElectionType.PREFERRED, java.util.Set.of(tp)).partitions(), job);
        Optional<Throwable> err = got.getOrDefault(tp, Optional.empty());
        r.put("electionError", err.map(e -> org.apache.kafka.common.protocol.Errors.forException(e).name()).orElse(null));
      }
      case "deleteOffsets" -> {
        String groupId = need(step, "groupId");
        String topic = need(step, "topic");
        java.util.Set<TopicPartition> tps = new java.util.LinkedHashSet<>();
        for (JsonNode p : step.path("partitions")) tps.add(new TopicPartition(topic, p.asInt()));
        org.apache.kafka.clients.admin.DeleteConsumerGroupOffsetsResult res = admin.deleteConsumerGroupOffsets(groupId, tps);
        Map<String, Object> errors = new TreeMap<>((a, b) -> Integer.compare(Integer.parseInt(a), Integer.parseInt(b)));
        for (TopicPartition tp : tps) {
          try {
            await(res.partitionResult(tp), job);
            errors.put(Integer.toString(tp.partition()), "NONE");
          } catch (java.util.concurrent.ExecutionException e) {
            // A group-level error fails every partition the same way: the step fails with it.
            Throwable cause = ErrorText.unwrap(e);
            org.apache.kafka.common.protocol.Errors code = org.apache.kafka.common.protocol.Errors.forException(cause);
            if (code == org.apache.kafka.common.protocol.Errors.GROUP_ID_NOT_FOUND || code == org.apache.kafka.common.protocol.Errors.NON_EMPTY_GROUP
                || code == org.apache.kafka.common.protocol.Errors.GROUP_AUTHORIZATION_FAILED) throw e;
            errors.put(Integer.toString(tp.partition()), code.name());
          }
        }
        r.put("errors", errors);
      }
      default -> throw new IllegalArgumentException("unknown step '" + what + "'");
    }
  }
}
