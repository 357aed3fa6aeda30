import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The design's byte formats (bundles, envelopes, payloads, device images): a magic tag, then
 * fields, each a 4-byte big-endian length and its bytes, or a fixed-size integer. Bytes stand
 * as they are: a message body in a device image is its plaintext, as on a real phone's disk.
 * Reading is strict: every length is checked against what is left, and trailing bytes are an
 * error.
 */
final class Wire {
  private Wire() {}

  static final class Malformed extends Exception {
    Malformed(String message) {
      super(message);
    }
  }

  static final class Writer {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Writer(String magic) {
      out.writeBytes(magic.getBytes(StandardCharsets.US_ASCII));
    }

    Writer bytes(byte[] value) {
      u32(value.length);
      out.writeBytes(value);
      return this;
    }

    Writer text(String value) {
      return bytes(value.getBytes(StandardCharsets.UTF_8));
    }

    /** A string or null: a presence byte, then the string. */
    Writer optionalText(String value) {
      out.write(value == null ? 0 : 1);
      return value == null ? this : text(value);
    }

    Writer flag(boolean value) {
      out.write(value ? 1 : 0);
      return this;
    }

    Writer u32(int value) {
      for (int shift = 24; shift >= 0; shift -= 8) out.write(value >>> shift);
      return this;
    }

    Writer u64(long value) {
      for (int shift = 56; shift >= 0; shift -= 8) out.write((int) (value >>> shift));
      return this;
    }

    byte[] done() {
      return out.toByteArray();
    }
  }

  static final class Reader {
    private final byte[] data;
    private final String what;
    private int at;

    /** Reads `data`, which must start with `magic`; `what` names it in errors. */
    Reader(byte[] data, String magic, String what) throws Malformed {
      this.data = data;
      this.what = what;
      byte[] tag = magic.getBytes(StandardCharsets.US_ASCII);
      if (data.length < tag.length || !Arrays.equals(Arrays.copyOf(data, tag.length), tag)) throw new Malformed(what + ": not a " + magic + " record");
      at = tag.length;
    }

    byte[] bytes() throws Malformed {
      int length = u32();
      if (length < 0 || length > data.length - at) throw new Malformed(what + ": a field runs past the end");
      byte[] value = Arrays.copyOfRange(data, at, at + length);
      at += length;
      return value;
    }

    byte[] bytes(int expected) throws Malformed {
      byte[] value = bytes();
      if (value.length != expected) throw new Malformed(what + ": expected " + expected + " bytes, got " + value.length);
      return value;
    }

    String text() throws Malformed {
      return new String(bytes(), StandardCharsets.UTF_8);
    }

    String optionalText() throws Malformed {
      return flag() ? text() : null;
    }

    boolean flag() throws Malformed {
      need(1);
      int value = data[at++];
      if (value != 0 && value != 1) throw new Malformed(what + ": a flag is neither 0 nor 1");
      return value == 1;
    }

    int u32() throws Malformed {
      need(4);
      int value = 0;
      for (int i = 0; i < 4; i++) value = (value << 8) | (data[at++] & 0xff);
      return value;
    }

    /** A count of items that follow, each at least `minBytes` long: bounded by what is left. */
    int count(int minBytes) throws Malformed {
      int n = u32();
      if (n < 0 || (long) n * minBytes > data.length - at) throw new Malformed(what + ": a count exceeds the data");
      return n;
    }

    long u64() throws Malformed {
      need(8);
      long value = 0;
      for (int i = 0; i < 8; i++) value = (value << 8) | (data[at++] & 0xff);
      return value;
    }

    void end() throws Malformed {
      if (at != data.length) throw new Malformed(what + ": " + (data.length - at) + " bytes after the end");
    }

    private void need(int n) throws Malformed {
      if (data.length - at < n) throw new Malformed(what + ": truncated");
    }
  }
}
