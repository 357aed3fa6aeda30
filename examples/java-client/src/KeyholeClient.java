import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A keyhole-client/1 client (docs/client-protocol.md) for the design `java-e2ee` (Device.java),
 * on standard input and output. One process holds every client of a run, each by its handle.
 *
 * Single-threaded, as §2 "Nesting" describes: while a call to keyhole waits for its answer, the
 * loop keeps reading and serves every request that arrives first (keyhole delivers envelopes
 * inside `provider.send`), which may call keyhole again.
 */
public final class KeyholeClient {
  static final String PROTOCOL = "keyhole-client/1";

  private static final Pattern BASE64 = Pattern.compile("^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$");
  private static final Pattern ADDRESS = Pattern.compile("^[^.]+\\..+$");
  private static final Set<String> OPS = Set.of(
      "hello", "create", "restore", "register", "provisionDevice", "unlinkDevice", "send", "receive", "deleteMessages",
      "safetyNumber", "recordVerification", "createGroup", "addMember", "removeMember", "maintain", "exportState",
      "openSent", "openSessionStart");

  /** keyhole closed our input: the run is over. */
  private static final class InputClosed extends RuntimeException {}

  private final BufferedReader in;
  private final Writer out;
  private final Map<String, Device> devices = new HashMap<>();
  /** Answers to our calls that arrived while a nested request was being served. */
  private final Map<String, Map<String, Object>> answers = new HashMap<>();
  private long nextCall = 1;

  private KeyholeClient(BufferedReader in, Writer out) {
    this.in = in;
    this.out = out;
  }

  public static void main(String[] args) {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 16);
    Writer out = new BufferedWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8), 1 << 16);
    try {
      KeyholeClient client = new KeyholeClient(in, out);
      while (true) client.onLine(client.readLine());
    } catch (InputClosed end) {
      System.exit(0);
    } catch (UncheckedIOException error) {
      System.err.println("java-e2ee: " + error.getCause());
      System.exit(1);
    }
  }

  private String readLine() {
    try {
      String line = in.readLine();
      if (line == null) throw new InputClosed();
      return line;
    } catch (IOException error) {
      throw new UncheckedIOException(error);
    }
  }

  private void write(Map<String, Object> message) {
    try {
      out.write(Json.write(message));
      out.write('\n');
      out.flush();
    } catch (IOException error) {
      throw new UncheckedIOException(error);
    }
  }

  private void onLine(String line) {
    Object parsed;
    try {
      parsed = Json.parse(line);
    } catch (Json.ParseError error) {
      respondError(null, new Device.Failure("bad-request", "not JSON: " + error.getMessage(), null));
      return;
    }
    if (!(parsed instanceof Map<?, ?>)) {
      respondError(null, new Device.Failure("bad-request", "not a JSON object", null));
      return;
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> message = (Map<String, Object>) parsed;
    if (message.containsKey("op")) {
      serve(message);
    } else if (!message.containsKey("ok")) {
      Object id = message.get("id");
      respondError(id instanceof Long || id instanceof String ? id : null, new Device.Failure("bad-request", "neither a request (op) nor a response (ok)", null));
    } else if (message.get("id") instanceof String id) {
      answers.put(id, message);
    } else {
      System.err.println("java-e2ee: ignored a response to no call of this client: " + line);
    }
  }

  /* keyhole's requests ---------------------------------------------------------------------------- */

  private void serve(Map<String, Object> request) {
    Object id = request.get("id");
    if (!(id instanceof Long || id instanceof String)) {
      respondError(null, new Device.Failure("bad-request", "a request needs an integer or string id", null));
      return;
    }
    Map<String, Object> result;
    try {
      result = dispatch(request);
    } catch (Device.Failure failure) {
      respondError(id, failure);
      return;
    } catch (Device.ProviderRefused refused) {
      respondError(id, Device.Failure.failed("the provider refused: " + refused.getMessage()));
      return;
    } catch (InputClosed | UncheckedIOException fatal) {
      throw fatal;
    } catch (RuntimeException defect) {
      defect.printStackTrace();
      respondError(id, Device.Failure.failed("java-e2ee failed: " + defect));
      return;
    }
    Map<String, Object> response = new LinkedHashMap<>();
    response.put("id", id);
    response.put("ok", true);
    response.putAll(result);
    write(response);
  }

  private void respondError(Object id, Device.Failure failure) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", failure.code);
    error.put("message", String.valueOf(failure.getMessage()));
    if (failure.rejection != null) error.put("rejection", failure.rejection);
    Map<String, Object> response = new LinkedHashMap<>();
    response.put("id", id);
    response.put("ok", false);
    response.put("error", error);
    write(response);
  }

  private Map<String, Object> dispatch(Map<String, Object> r) throws Device.Failure, Device.ProviderRefused {
    String op = text(r, "op", BAD);
    if (!OPS.contains(op)) throw bad("unknown op " + op);
    if (op.equals("hello")) {
      String protocol = text(r, "protocol", BAD);
      if (!protocol.equals(PROTOCOL)) throw bad("this client speaks " + PROTOCOL + ", not " + protocol);
      return fields("protocol", PROTOCOL, "design", Device.DESIGN, "optional", List.of());
    }
    String handle = text(r, "client", BAD);
    if (op.equals("create") || op.equals("restore")) {
      String address = address(r.get("address"), "address", BAD);
      String user = text(r, "user", BAD);
      String device = text(r, "device", BAD);
      if (!address.equals(user + "." + device)) throw bad("address " + address + " is not user.device");
      byte[] image = op.equals("restore") ? bytes(r.get("image"), "image", BAD) : null;
      if (devices.containsKey(handle)) throw bad("client " + handle + " exists already");
      Device created = new Device(address, user, keyholeFor(handle));
      if (image != null) created.restore(image);
      devices.put(handle, created);
      return Map.of();
    }
    Device device = devices.get(handle);
    if (device == null) throw bad("no client " + handle);
    switch (op) {
      case "register": {
        Object provisioning = r.get("provisioning");
        if (!r.containsKey("provisioning")) throw bad("provisioning: expected base64 or null");
        device.register(provisioning == null ? null : bytes(provisioning, "provisioning", BAD));
        return Map.of();
      }
      case "provisionDevice":
        return fields("provisioning", base64(device.provisionDevice(text(r, "device", BAD))));
      case "unlinkDevice":
        device.unlinkDevice(text(r, "device", BAD));
        return Map.of();
      case "send": {
        Map<String, Object> message = object(r.get("message"), "message", BAD);
        String id = text(message, "id", BAD);
        Map<String, Object> to = object(message.get("to"), "message.to", BAD);
        byte[] body = bytes(message.get("body"), "message.body", BAD);
        String kind = text(to, "kind", BAD);
        String reason;
        if (kind.equals("user")) reason = device.send(id, text(to, "user", BAD), null, body);
        else if (kind.equals("group")) reason = device.send(id, null, text(to, "group", BAD), body);
        else throw bad("message.to.kind: expected user or group");
        return fields("outcome", reason == null ? fields("sent", true) : fields("sent", false, "reason", reason));
      }
      case "receive": {
        Map<String, Object> envelope = object(r.get("envelope"), "envelope", BAD);
        String from = address(envelope.get("from"), "envelope.from", BAD);
        String to = address(envelope.get("to"), "envelope.to", BAD);
        Device.Received received = device.receive(from, to, bytes(envelope.get("body"), "envelope.body", BAD));
        return fields("message", fields("id", received.id(), "from", received.from(), "body", base64(received.body()), "group", received.group()));
      }
      case "deleteMessages": {
        Object ids = r.get("ids");
        device.deleteMessages("all".equals(ids) ? null : strings(ids, "ids", BAD));
        return Map.of();
      }
      case "safetyNumber":
        return fields("safetyNumber", device.safetyNumber(text(r, "peer", BAD)));
      case "recordVerification": {
        if (!(r.get("matched") instanceof Boolean matched)) throw bad("matched: expected true or false");
        String number = r.get("safetyNumber") == null ? null : text(r, "safetyNumber", BAD);
        device.recordVerification(text(r, "peer", BAD), matched, number);
        return Map.of();
      }
      case "createGroup":
        device.createGroup(text(r, "group", BAD), strings(r.get("members"), "members", BAD));
        return Map.of();
      case "addMember":
        device.addMember(text(r, "group", BAD), text(r, "user", BAD));
        return Map.of();
      case "removeMember":
        device.removeMember(text(r, "group", BAD), text(r, "user", BAD));
        return Map.of();
      case "exportState":
        return fields("image", base64(device.exportState()));
      case "openSent": {
        Map<String, Object> envelope = object(r.get("envelope"), "envelope", BAD);
        byte[] body = device.openSent(address(envelope.get("from"), "envelope.from", BAD), address(envelope.get("to"), "envelope.to", BAD), bytes(envelope.get("body"), "envelope.body", BAD));
        return fields("body", body == null ? null : base64(body));
      }
      default:
        // maintain, openSessionStart: optional, and not offered in hello (no timed keys, no prekeys).
        throw bad(op + " is not offered by " + Device.DESIGN + " (not listed in hello)");
    }
  }

  /* The calls to keyhole ---------------------------------------------------------------------------- */

  private Device.Keyhole keyholeFor(String handle) {
    return new Device.Keyhole() {
      public byte[] random(int n) throws Device.Failure {
        byte[] bytes = bytes(answer(handle, "random", fields("n", (long) n)).get("bytes"), "random.bytes", FAILED);
        if (bytes.length != n) throw Device.Failure.failed("random gave " + bytes.length + " bytes, not " + n);
        return bytes;
      }

      public long now() throws Device.Failure {
        if (!(answer(handle, "now", Map.of()).get("now") instanceof Long now)) throw Device.Failure.failed("now: expected an integer");
        return now;
      }

      public void alert(String kind, String about) throws Device.Failure {
        answer(handle, "alert", fields("kind", kind, "about", about));
      }

      public Map<String, Object> provider(String op, Map<String, Object> fields) throws Device.Failure, Device.ProviderRefused {
        return call(handle, op, fields);
      }

      private Map<String, Object> answer(String client, String op, Map<String, Object> fields) throws Device.Failure {
        try {
          return call(client, op, fields);
        } catch (Device.ProviderRefused refused) {
          throw Device.Failure.failed(op + " refused: " + refused.getMessage());
        }
      }
    };
  }

  /** One call: written, then lines served until its answer comes (docs/client-protocol.md §2). */
  private Map<String, Object> call(String handle, String op, Map<String, Object> fields) throws Device.Failure, Device.ProviderRefused {
    String id = "j" + nextCall++;
    Map<String, Object> message = new LinkedHashMap<>();
    message.put("id", id);
    message.put("op", op);
    message.put("client", handle);
    message.putAll(fields);
    write(message);
    Map<String, Object> answer;
    while ((answer = answers.remove(id)) == null) onLine(readLine());
    if (Boolean.TRUE.equals(answer.get("ok"))) return answer;
    Map<String, Object> error = object(answer.get("error"), op + " error", FAILED);
    String text = String.valueOf(error.get("message"));
    if ("provider".equals(error.get("code"))) throw new Device.ProviderRefused(text);
    throw Device.Failure.failed("keyhole refused " + op + ": " + text);
  }

  /* Fields, checked: bad-request for keyhole's requests, failed for its answers ---------------------- */

  private static final String BAD = "bad-request";
  private static final String FAILED = "failed";

  private static Device.Failure bad(String message) {
    return new Device.Failure(BAD, message, null);
  }

  static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  /** Standard base64 with padding (RFC 4648 §4), as the protocol requires. */
  static byte[] decode(Object value, String what) throws Device.Failure {
    return bytes(value, what, FAILED);
  }

  private static byte[] bytes(Object value, String what, String code) throws Device.Failure {
    if (!(value instanceof String text) || !BASE64.matcher(text).matches()) throw new Device.Failure(code, what + ": expected base64 (RFC 4648 §4, with padding)", null);
    return Base64.getDecoder().decode(text);
  }

  private static String text(Map<String, Object> map, String key, String code) throws Device.Failure {
    if (!(map.get(key) instanceof String text)) throw new Device.Failure(code, key + ": expected a string", null);
    return text;
  }

  private static String address(Object value, String what, String code) throws Device.Failure {
    if (!(value instanceof String text) || !ADDRESS.matcher(text).matches()) throw new Device.Failure(code, what + ": expected a device address user.device", null);
    return text;
  }

  static Map<String, Object> object(Object value, String what) throws Device.Failure {
    return object(value, what, FAILED);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(Object value, String what, String code) throws Device.Failure {
    if (!(value instanceof Map<?, ?>)) throw new Device.Failure(code, what + ": expected an object", null);
    return (Map<String, Object>) value;
  }

  static List<String> strings(Object value, String what) throws Device.Failure {
    return strings(value, what, FAILED);
  }

  private static List<String> strings(Object value, String what, String code) throws Device.Failure {
    if (!(value instanceof List<?> list)) throw new Device.Failure(code, what + ": expected a list of strings", null);
    List<String> out = new ArrayList<>();
    for (Object item : list) {
      if (!(item instanceof String text)) throw new Device.Failure(code, what + ": expected a list of strings", null);
      out.add(text);
    }
    return out;
  }

  /** An ordered map of alternating keys and values (values may be null). */
  private static Map<String, Object> fields(Object... pairs) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) map.put((String) pairs[i], pairs[i + 1]);
    return map;
  }
}
