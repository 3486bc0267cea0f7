// Readiness probe of scripts/kafka-peer.sh: asks every node of a Kafka cluster, one by
// one, with real Kafka requests (DescribeCluster and a Metadata for all topics through
// the Admin client) until each answers with the whole cluster, or the deadline passes.
// A listening port is not enough: a KRaft broker accepts connections before it has
// caught up with the metadata log and registered itself.
// Owns: nothing but its own Admin clients. Must not create or change anything on the cluster.
//
// Usage: java -cp 'libs/*:DIR' Probe <host:port,...> <expectedBrokers> <timeoutMs>
// Exit 0 when ready; 1 with the last error on stderr at the deadline; 2 on bad arguments.

import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListTopicsOptions;

public final class Probe {
  public static void main(String[] args) throws InterruptedException {
    if (args.length != 3) {
      System.err.println("usage: Probe <host:port,...> <expectedBrokers> <timeoutMs>");
      System.exit(2);
    }
    String[] addresses = args[0].split(",");
    int expectedBrokers = Integer.parseInt(args[1]);
    long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Long.parseLong(args[2]));
    String lastError = "no attempt made";
    for (String address : addresses) {
      while (true) {
        String problem = ask(address, expectedBrokers);
        if (problem == null) break;
        lastError = address + ": " + problem;
        if (System.nanoTime() > deadlineNs) {
          System.err.println("kafka-peer probe: not ready before the deadline: " + lastError);
          System.exit(1);
        }
        Thread.sleep(250);
      }
    }
    System.exit(0);
  }

  /** One round against one node: null when it serves the full cluster, else why not. */
  private static String ask(String address, int expectedBrokers) {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, address);
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "samsa-kafka-peer-probe");
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000");
    props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "250");
    try (Admin admin = Admin.create(props)) {
      int brokers = admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).size();
      if (brokers < expectedBrokers) return brokers + " of " + expectedBrokers + " brokers registered";
      admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(3, TimeUnit.SECONDS);
      return null;
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }
  }
}
