// A Kafka Streams application for the interop suite (test/interop/streams.test.ts),
// run by interop/bin/java-streams until the caller stops it (SIGTERM/SIGINT or EOF on
// stdin). One topology, two sub-topologies:
//   word count  : lines (text lines) -> words -> groupBy word (repartition topic)
//                 -> count (KTable, changelog topic) -> counts topic (word -> count as
//                 an 8-byte big-endian long, Kafka's LongSerializer)
//   stream-table: orders (key customer id) join customers (KTable, key customer id)
//                 -> enriched topic, value "<order>|<customer>"
// processing.guarantee=at_least_once. Prints JSON lines on stdout: a `state` event for
// every KafkaStreams state change, and `error` with the exception if a thread dies.
// Owns: its KafkaStreams instance and the state directory given on the command line.
//
// Usage: StreamsApp --bootstrap H:P --application-id ID --state-dir DIR
//          [--lines T] [--counts T] [--orders T] [--customers T] [--enriched T]
//          [--config k=v ...]
package samsa.interop;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;

public final class StreamsApp {
  private StreamsApp() {}

  public static void main(String[] args) throws InterruptedException {
    Map<String, String> opts = new LinkedHashMap<>();
    opts.put("lines", "streams-lines");
    opts.put("counts", "streams-word-counts");
    opts.put("orders", "streams-orders");
    opts.put("customers", "streams-customers");
    opts.put("enriched", "streams-orders-enriched");
    Properties extra = new Properties();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) usage("bad argument: " + args[i]);
      String name = args[i].substring(2);
      String value = args[++i];
      if (name.equals("config")) {
        int eq = value.indexOf('=');
        if (eq <= 0) usage("--config wants k=v, got " + value);
        extra.put(value.substring(0, eq), value.substring(eq + 1));
      } else {
        opts.put(name, value);
      }
    }
    for (String required : new String[] {"bootstrap", "application-id", "state-dir"}) {
      if (!opts.containsKey(required)) usage("--" + required + " is required");
    }

    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, opts.get("application-id"));
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, opts.get("bootstrap"));
    p.put(StreamsConfig.STATE_DIR_CONFIG, opts.get("state-dir"));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class.getName());
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class.getName());
    // at_least_once commits every 30 s by default; a test wants its output in well under that.
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "200");
    // The stream-table join is only deterministic if a task waits for the customers
    // partition before it processes orders that arrived first in a fetch (KIP-353).
    p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, "2000");
    p.putAll(extra);

    Topology topology = build(opts);
    System.err.println(topology.describe());
    KafkaStreams streams = new KafkaStreams(topology, p);
    CountDownLatch done = new CountDownLatch(1);
    int[] exitCode = {0};
    streams.setStateListener((now, before) -> {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("state", now.toString());
      f.put("from", before.toString());
      Out.event("state", f);
      if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
        if (now == KafkaStreams.State.ERROR) exitCode[0] = 1;
        done.countDown();
      }
    });
    streams.setUncaughtExceptionHandler(e -> {
      Out.event("error", Map.of("error", ErrorText.oneLine(ErrorText.describe(e))));
      e.printStackTrace();
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      close(streams);
      done.countDown();
    }, "streams-shutdown"));
    // EOF on stdin is a stop too: a parent that dies without a signal still ends us.
    Thread stdinWatch = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // only EOF matters
        }
      } catch (Exception ignored) {
        // a broken stdin is an EOF
      }
      close(streams);
      done.countDown();
    }, "stdin-eof");
    stdinWatch.setDaemon(true);
    stdinWatch.start();

    streams.start();
    done.await();
    close(streams);
    System.exit(exitCode[0]);
  }

  /**
   * Closes and leaves the group: without LEAVE_GROUP Streams keeps its membership on
   * close (it expects to come back), and a restarted app then waits out the old
   * member's session timeout (45 s) before it gets its partitions.
   */
  private static void close(KafkaStreams streams) {
    streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
        .withTimeout(Duration.ofSeconds(20)));
  }

  static Topology build(Map<String, String> opts) {
    StreamsBuilder builder = new StreamsBuilder();

    KStream<String, String> lines = builder.stream(opts.get("lines"), Consumed.with(Serdes.String(), Serdes.String()));
    lines
        .flatMapValues(line -> Arrays.asList(line.toLowerCase(Locale.ROOT).split("\\W+")))
        .filter((key, word) -> !word.isEmpty())
        .groupBy((key, word) -> word, Grouped.with("words", Serdes.String(), Serdes.String()))
        .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("word-counts").withValueSerde(Serdes.Long()))
        .toStream()
        .to(opts.get("counts"), Produced.with(Serdes.String(), Serdes.Long()));

    KTable<String, String> customers = builder.table(opts.get("customers"), Consumed.with(Serdes.String(), Serdes.String()),
        Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("customers"));
    KStream<String, String> orders = builder.stream(opts.get("orders"), Consumed.with(Serdes.String(), Serdes.String()));
    orders
        .join(customers, (order, customer) -> order + "|" + customer)
        .to(opts.get("enriched"), Produced.with(Serdes.String(), Serdes.String()));

    return builder.build();
  }

  private static void usage(String why) {
    System.err.println("java-streams: " + why);
    System.err.println("usage: java-streams --bootstrap H:P --application-id ID --state-dir DIR"
        + " [--lines T] [--counts T] [--orders T] [--customers T] [--enriched T] [--config k=v ...]");
    System.exit(2);
  }
}
