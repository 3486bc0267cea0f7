// stdout of the driver: one JSON object per line, flushed at once, from any thread.
// Owns: System.out. Must not be bypassed: nothing else writes to stdout (client logs
// go to stderr through slf4j-simple).
package samsa.interop;

import java.util.LinkedHashMap;
import java.util.Map;

public final class Out {
  private Out() {}

  public static synchronized void line(Map<String, Object> obj) {
    try {
      System.out.println(Json.MAPPER.writeValueAsString(obj));
      System.out.flush();
    } catch (Exception e) {
      throw new IllegalStateException("cannot encode a JSON line", e);
    }
  }

  /** `{"type":"event","event":name, …fields}` */
  public static void event(String name, Map<String, Object> fields) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", "event");
    m.put("event", name);
    if (fields != null) m.putAll(fields);
    line(m);
  }

  public static void result(Result r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", "result");
    m.put("status", r.status);
    if (r.error != null) m.put("error", r.error);
    m.put("data", r.data == null ? Map.of() : r.data);
    line(m);
  }
}
