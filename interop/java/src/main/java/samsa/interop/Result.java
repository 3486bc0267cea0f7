// The last line of a job: status ok | error | unsupported, a one-line error, data.
// Owns: the result value only.
package samsa.interop;

import java.util.Map;

public final class Result {
  public final String status;
  public final String error;
  public final Map<String, Object> data;

  private Result(String status, String error, Map<String, Object> data) {
    this.status = status;
    this.error = error;
    this.data = data;
  }

  public static Result ok(Map<String, Object> data) {
    return new Result("ok", null, data);
  }

  public static Result error(String error, Map<String, Object> data) {
    return new Result("error", ErrorText.oneLine(error), data);
  }

  public static Result unsupported(String why) {
    return new Result("unsupported", ErrorText.oneLine(why), null);
  }
}
