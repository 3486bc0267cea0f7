// The driver's one JSON mapper (Jackson) and the record shape of the contract.
// Owns: JSON encoding of records and headers. Must not do I/O.
package samsa.interop;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

public final class Json {
  private Json() {}

  public static final ObjectMapper MAPPER = new ObjectMapper();

  static String str(byte[] b) {
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  /** `{partition, offset, key, value, headers: [[k, v], …], timestamp}` as in `consume`. */
  public static Map<String, Object> record(ConsumerRecord<byte[], byte[]> r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("partition", r.partition());
    m.put("offset", r.offset());
    m.put("key", str(r.key()));
    m.put("value", str(r.value()));
    List<List<String>> headers = new ArrayList<>();
    for (Header h : r.headers()) headers.add(java.util.Arrays.asList(h.key(), str(h.value())));
    m.put("headers", headers);
    m.put("timestamp", r.timestamp());
    return m;
  }
}
