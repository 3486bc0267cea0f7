// The Java client (org.apache.kafka:kafka-clients) against a secured Samsa listener:
// produce N records and consume them back, with the security settings given as
// key=value arguments (exactly as a client.properties would hold them). Run as a
// single-file program: java -cp kafka-clients.jar SecureClient.java BOOTSTRAP TOPIC N [k=v ...]
// Prints one line: "ok <produced> <consumed>" or "error <ExceptionClass>: <message>".
// Test-only; never committed with credentials (the test passes them in).

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class SecureClient {
  public static void main(String[] args) {
    String bootstrap = args[0];
    String topic = args[1];
    int n = Integer.parseInt(args[2]);
    Properties common = new Properties();
    common.put("bootstrap.servers", bootstrap);
    for (int i = 3; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      common.put(args[i].substring(0, eq), args[i].substring(eq + 1));
    }
    try {
      Properties p = new Properties();
      p.putAll(common);
      p.put("key.serializer", StringSerializer.class.getName());
      p.put("value.serializer", StringSerializer.class.getName());
      p.put("acks", "all");
      p.put("delivery.timeout.ms", "20000");
      p.put("request.timeout.ms", "10000");
      p.put("max.block.ms", "15000");
      int produced = 0;
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
        for (int i = 0; i < n; i++) {
          producer.send(new ProducerRecord<>(topic, 0, "k" + i, "v" + i)).get();
          produced++;
        }
      }
      Properties c = new Properties();
      c.putAll(common);
      c.put("key.deserializer", StringDeserializer.class.getName());
      c.put("value.deserializer", StringDeserializer.class.getName());
      c.put("auto.offset.reset", "earliest");
      c.put("enable.auto.commit", "false");
      List<String> values = new ArrayList<>();
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
        TopicPartition tp = new TopicPartition(topic, 0);
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
        long deadline = System.currentTimeMillis() + 20000;
        while (values.size() < n && System.currentTimeMillis() < deadline) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) values.add(r.value());
        }
      }
      System.out.println("ok " + produced + " " + values.size());
    } catch (Exception e) {
      Throwable t = e.getCause() != null ? e.getCause() : e;
      System.out.println("error " + t.getClass().getSimpleName() + ": " + String.valueOf(t.getMessage()).replace('\n', ' '));
    }
  }
}
