import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON of keyhole-client/1 lines (RFC 8259), with no library: objects become
 * {@code LinkedHashMap<String, Object>}, arrays {@code List<Object>}, numbers {@code Long}
 * (or {@code Double} when not integral), and JSON null Java null. Input is untrusted: nesting
 * is bounded and anything after the value is an error.
 */
final class Json {
  static final class ParseError extends Exception {
    ParseError(String message) {
      super(message);
    }
  }

  private static final int MAX_DEPTH = 64;

  private final String text;
  private int at;

  private Json(String text) {
    this.text = text;
  }

  static Object parse(String text) throws ParseError {
    Json parser = new Json(text);
    parser.space();
    Object value = parser.value(0);
    parser.space();
    if (parser.at != text.length()) throw new ParseError("unexpected text after the value at " + parser.at);
    return value;
  }

  private Object value(int depth) throws ParseError {
    if (depth > MAX_DEPTH) throw new ParseError("nested too deeply");
    if (at >= text.length()) throw new ParseError("unexpected end");
    char c = text.charAt(at);
    switch (c) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        throw new ParseError("unexpected '" + c + "' at " + at);
    }
  }

  private Map<String, Object> object(int depth) throws ParseError {
    Map<String, Object> map = new LinkedHashMap<>();
    at++;
    space();
    if (peek('}')) return map;
    while (true) {
      space();
      if (at >= text.length() || text.charAt(at) != '"') throw new ParseError("expected a key at " + at);
      String key = string();
      space();
      expect(':');
      space();
      map.put(key, value(depth + 1));
      space();
      if (peek('}')) return map;
      expect(',');
    }
  }

  private List<Object> array(int depth) throws ParseError {
    List<Object> list = new ArrayList<>();
    at++;
    space();
    if (peek(']')) return list;
    while (true) {
      space();
      list.add(value(depth + 1));
      space();
      if (peek(']')) return list;
      expect(',');
    }
  }

  private String string() throws ParseError {
    at++;
    StringBuilder out = new StringBuilder();
    while (true) {
      if (at >= text.length()) throw new ParseError("unterminated string");
      char c = text.charAt(at++);
      if (c == '"') return out.toString();
      if (c < 0x20) throw new ParseError("control character in a string");
      if (c != '\\') {
        out.append(c);
        continue;
      }
      if (at >= text.length()) throw new ParseError("unterminated escape");
      char e = text.charAt(at++);
      switch (e) {
        case '"', '\\', '/' -> out.append(e);
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'u' -> {
          if (at + 4 > text.length()) throw new ParseError("short \\u escape");
          try {
            out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
          } catch (NumberFormatException error) {
            throw new ParseError("bad \\u escape");
          }
          at += 4;
        }
        default -> throw new ParseError("bad escape \\" + e);
      }
    }
  }

  private Object number() throws ParseError {
    int start = at;
    if (peek('-')) { /* sign */ }
    digits();
    boolean integral = true;
    if (at < text.length() && text.charAt(at) == '.') {
      integral = false;
      at++;
      digits();
    }
    if (at < text.length() && (text.charAt(at) == 'e' || text.charAt(at) == 'E')) {
      integral = false;
      at++;
      if (at < text.length() && (text.charAt(at) == '+' || text.charAt(at) == '-')) at++;
      digits();
    }
    String number = text.substring(start, at);
    try {
      return integral ? (Object) Long.parseLong(number) : (Object) Double.parseDouble(number);
    } catch (NumberFormatException error) {
      try {
        return Double.parseDouble(number);
      } catch (NumberFormatException again) {
        throw new ParseError("bad number " + number);
      }
    }
  }

  private void digits() throws ParseError {
    int start = at;
    while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') at++;
    if (at == start) throw new ParseError("expected digits at " + at);
  }

  private Object literal(String word, Object value) throws ParseError {
    if (!text.startsWith(word, at)) throw new ParseError("unexpected text at " + at);
    at += word.length();
    return value;
  }

  private boolean peek(char c) {
    if (at < text.length() && text.charAt(at) == c) {
      at++;
      return true;
    }
    return false;
  }

  private void expect(char c) throws ParseError {
    if (!peek(c)) throw new ParseError("expected '" + c + "' at " + at);
  }

  private void space() {
    while (at < text.length()) {
      char c = text.charAt(at);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      at++;
    }
  }

  /* Writing ----------------------------------------------------------------------------------- */

  static String write(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, out);
    return out.toString();
  }

  private static void write(Object value, StringBuilder out) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String s) {
      quote(s, out);
    } else if (value instanceof Boolean || value instanceof Long || value instanceof Integer) {
      out.append(value);
    } else if (value instanceof Map<?, ?> map) {
      out.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> entry : map.entrySet()) {
        if (!first) out.append(',');
        first = false;
        quote(String.valueOf(entry.getKey()), out);
        out.append(':');
        write(entry.getValue(), out);
      }
      out.append('}');
    } else if (value instanceof List<?> list) {
      out.append('[');
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) out.append(',');
        write(list.get(i), out);
      }
      out.append(']');
    } else {
      throw new IllegalArgumentException("no JSON for " + value.getClass());
    }
  }

  private static void quote(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    out.append('"');
  }
}
