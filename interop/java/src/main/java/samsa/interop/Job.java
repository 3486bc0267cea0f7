// One job of the driver: the broker address, the op's params, stdin for later commands,
// and the op's deadline (params.timeoutMs, default 30000, from the moment the job was read).
// Owns: reading params with their defaults. Must not print anything.
package samsa.interop;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.util.Properties;

public final class Job {
  public static final long DEFAULT_TIMEOUT_MS = 30_000;

  public final String bootstrap;
  public final JsonNode params;
  public final BufferedReader stdin;
  public final long timeoutMs;
  private final long deadlineNs;

  Job(String bootstrap, JsonNode params, BufferedReader stdin) {
    this.bootstrap = bootstrap;
    this.params = params == null ? Json.MAPPER.createObjectNode() : params;
    this.stdin = stdin;
    JsonNode t = this.params.path("timeoutMs");
    this.timeoutMs = t.isNumber() && t.asLong() > 0 ? t.asLong() : DEFAULT_TIMEOUT_MS;
    this.deadlineNs = System.nanoTime() + timeoutMs * 1_000_000L;
  }

  /** Milliseconds left before the op's deadline, never below 0. */
  public long remainingMs() {
    return Math.max(0, (deadlineNs - System.nanoTime()) / 1_000_000L);
  }

  public boolean expired() {
    return System.nanoTime() - deadlineNs >= 0;
  }

  public String text(String field) {
    JsonNode n = params.get(field);
    if (n == null || n.isNull()) throw new IllegalArgumentException("params." + field + " is missing");
    return n.asText();
  }

  /** Client settings every op shares; the per-request timeout never exceeds the op's deadline. */
  public Properties baseProps() {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("client.id", "samsa-interop-java");
    p.put("request.timeout.ms", Long.toString(Math.min(30_000, Math.max(1_000, timeoutMs))));
    return p;
  }
}
