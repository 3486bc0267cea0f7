// Turns what the Java client threw into the contract's one-line error, led by the
// Kafka error name (TOPIC_ALREADY_EXISTS, …) when the exception maps to one.
// Owns: error text only.
package samsa.interop;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.UnknownServerException;
import org.apache.kafka.common.protocol.Errors;

public final class ErrorText {
  private ErrorText() {}

  /** The innermost meaningful cause: futures wrap the client's exception once or twice. */
  static Throwable unwrap(Throwable t) {
    Throwable cur = t;
    for (int depth = 0; depth < 8 && cur.getCause() != null; depth++) {
      boolean wrapper = cur instanceof ExecutionException || cur instanceof CompletionException
          || (cur instanceof KafkaException && !(cur instanceof ApiException) && cur.getCause() instanceof ApiException);
      if (!wrapper) break;
      cur = cur.getCause();
    }
    return cur;
  }

  public static String describe(Throwable t) {
    Throwable cause = unwrap(t);
    String msg = cause.getMessage() == null ? "" : cause.getMessage();
    if (cause instanceof ApiException) {
      Errors e = Errors.forException(cause);
      // forException answers UNKNOWN_SERVER_ERROR for exceptions it has no code for.
      if (e != Errors.UNKNOWN_SERVER_ERROR || cause instanceof UnknownServerException) return e.name() + (msg.isEmpty() ? "" : ": " + msg);
    }
    return cause.getClass().getSimpleName() + (msg.isEmpty() ? "" : ": " + msg);
  }

  static String oneLine(String s) {
    if (s == null) return null;
    String one = s.replace('\r', ' ').replace('\n', ' ').trim();
    return one.length() > 2000 ? one.substring(0, 2000) + "..." : one;
  }
}
