// Entry of the Java interop driver (interop/README.md, "The driver contract"): reads
// the job from the first stdin line, runs one op with the Apache Kafka Java client and
// prints JSON lines. Owns: stdin/stdout framing, the op dispatch, the exit code.
// Must not decide whether a case passed: it reports what the client did and saw.
package samsa.interop;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

public final class Driver {
  private Driver() {}

  public static void main(String[] args) {
    BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    JsonNode job;
    try {
      String first = stdin.readLine();
      if (first == null) throw new IllegalArgumentException("no job line on stdin");
      job = Json.MAPPER.readTree(first);
      if (job == null || !job.isObject()) throw new IllegalArgumentException("the job line is not a JSON object");
    } catch (Exception e) {
      // A job we cannot read is the suite's or the driver's bug, not a client outcome.
      System.err.println("java driver: cannot read the job: " + e);
      System.exit(2);
      return;
    }
    String op = job.path("op").asText("");
    String bootstrap = job.path("bootstrap").asText("");
    JsonNode params = job.path("params");
    Job j = new Job(bootstrap, params, stdin);
    Result result;
    try {
      result = switch (op) {
        case "produce" -> ProduceOp.run(j);
        case "consume" -> ConsumeOp.run(j);
        case "group-member" -> GroupMemberOp.run(j);
        case "admin" -> AdminOp.run(j);
        case "txn-produce" -> TxnProduceOp.run(j);
        default -> Result.unsupported("unknown op '" + op + "'");
      };
    } catch (Exception e) {
      result = Result.error(ErrorText.describe(e), null);
    }
    Out.result(result);
    // The clients' background threads must not keep the JVM alive after the result.
    System.exit(0);
  }
}
