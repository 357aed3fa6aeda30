import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One device of the design `java-e2ee`: static per-device X25519 identity keys, one sealed copy
 * of every message per recipient device (and per other device of the sender).
 *
 * A message key is HKDF-SHA256 (RFC 5869) of X25519(own identity, peer device identity)
 * (RFC 7748 §6.1), salted with 32 fresh random bytes carried in the envelope, bound to the
 * sender and recipient addresses; it gives the AES-256-GCM key and nonce. Nothing is ratcheted,
 * so a device's identity key opens every message it sent or received, before and after it is
 * taken: no forward secrecy, no post-compromise security (see README.md).
 *
 * Peer device keys are pinned on first use. The provider's device lists and group rosters are
 * trusted as they come (nothing signs them). Every random byte comes from keyhole's `random`
 * stream for this device, and every time from its `now`, so runs are reproducible.
 */
final class Device {
  static final String DESIGN = "java-e2ee";

  private static final String BUNDLE = "JEB1";
  private static final String ENVELOPE = "JEM1";
  private static final String PAYLOAD = "JEP1";
  private static final String IMAGE = "JEI1";
  private static final String PROVISIONING = "JEL1";
  private static final byte[] KEY_INFO = "keyhole java-e2ee/1 message key".getBytes(StandardCharsets.UTF_8);
  private static final byte[] FINGERPRINT_VERSION = { 0, 1 };
  private static final int SALT_BYTES = 32;
  /** SHA-256 iterations per half of a safety number, as Signal's fingerprint makes a collision search costly. */
  private static final int FINGERPRINT_ITERATIONS = 5200;

  /** What the device may ask of keyhole: its random stream, the run's clock, alerts and the provider. */
  interface Keyhole {
    byte[] random(int n) throws Failure;

    long now() throws Failure;

    void alert(String kind, String about) throws Failure;

    Map<String, Object> provider(String op, Map<String, Object> fields) throws Failure, ProviderRefused;
  }

  /** A request failed; `code` and `rejection` as docs/client-protocol.md §4. */
  static final class Failure extends Exception {
    final String code;
    final String rejection;

    Failure(String code, String message, String rejection) {
      super(message);
      this.code = code;
      this.rejection = rejection;
    }

    static Failure failed(String message) {
      return new Failure("failed", message, null);
    }

    static Failure rejected(String rejection, String message) {
      return new Failure("rejected", message, rejection);
    }
  }

  /** The provider refused a call (error code `provider`). */
  static final class ProviderRefused extends Exception {
    ProviderRefused(String message) {
      super(message);
    }
  }

  record Stored(String id, boolean outgoing, String conversation, String sender, long at, byte[] body) {}

  record Received(String id, String from, byte[] body, String group) {}

  record Payload(String id, String group, long at, byte[] body) {}

  final String address;
  final String user;
  private final Keyhole keyhole;
  private byte[] privateKey;
  private byte[] publicKey;
  /** Peer device address -> its identity key, pinned when first fetched. */
  private final Map<String, byte[]> pinned = new TreeMap<>();
  /** Peer user -> whether the last safety-number comparison matched. */
  private final Map<String, Boolean> verification = new TreeMap<>();
  private final List<Stored> history = new ArrayList<>();

  Device(String address, String user, Keyhole keyhole) {
    this.address = address;
    this.user = user;
    this.keyhole = keyhole;
  }

  /* Registration and devices ------------------------------------------------------------------ */

  void register(byte[] provisioning) throws Failure, ProviderRefused {
    if (provisioning != null) {
      try {
        Wire.Reader reader = new Wire.Reader(provisioning, PROVISIONING, "provisioning");
        String linked = reader.text() + "." + reader.text();
        reader.end();
        if (!linked.equals(address)) throw Failure.failed("provisioning for " + linked + " given to " + address);
      } catch (Wire.Malformed error) {
        throw Failure.failed(error.getMessage());
      }
    }
    privateKey = keyhole.random(Crypto.KEY_BYTES);
    publicKey = crypto(() -> Crypto.x25519PublicKey(privateKey));
    byte[] bundle = new Wire.Writer(BUNDLE).bytes(publicKey).done();
    keyhole.provider("provider.publishKeys", Map.of("upload", Map.of("bundle", KeyholeClient.base64(bundle))));
  }

  /** A linked device makes its own identity key; the primary hands it only which device of whom it is. */
  byte[] provisionDevice(String device) throws Failure {
    requireKeys();
    return new Wire.Writer(PROVISIONING).text(user).text(device).done();
  }

  void unlinkDevice(String device) throws Failure, ProviderRefused {
    keyhole.provider("provider.removeDevice", Map.of("device", device));
  }

  /* Messages ---------------------------------------------------------------------------------- */

  /** Returns null when sent, else why the client refused. */
  String send(String id, String toUser, String toGroup, byte[] body) throws Failure, ProviderRefused {
    requireKeys();
    Set<String> users = new LinkedHashSet<>(toGroup == null ? List.of(toUser) : rosterOf(toGroup));
    users.add(user);
    List<String> refused = new ArrayList<>();
    for (String u : users) if (Boolean.FALSE.equals(verification.get(u))) refused.add(u);
    if (!refused.isEmpty()) return "safety numbers of " + String.join(", ", refused) + " did not match";
    List<String> devices = new ArrayList<>();
    for (String u : users) for (String d : devicesOf(u)) if (!d.equals(address)) devices.add(d);
    long at = keyhole.now();
    byte[] payload = new Wire.Writer(PAYLOAD).text(id).optionalText(toGroup).u64(at).bytes(body).done();
    List<Object> envelopes = new ArrayList<>();
    for (String to : devices) envelopes.add(Map.of("to", to, "body", KeyholeClient.base64(seal(to, payload))));
    keyhole.provider("provider.send", Map.of("envelopes", envelopes));
    history.add(new Stored(id, true, toGroup != null ? toGroup : toUser, address, at, body));
    return null;
  }

  Received receive(String from, String to, byte[] body) throws Failure {
    requireKeys();
    if (!to.equals(address)) throw Failure.rejected("invalid-message", "addressed to " + to + ", not " + address);
    byte[] peer;
    try {
      peer = keyOf(from);
    } catch (ProviderRefused error) {
      throw Failure.rejected("unknown-device", error.getMessage());
    }
    byte[] plaintext = open(from, to, peer, body);
    if (plaintext == null) throw Failure.rejected("invalid-message", "the message does not decrypt");
    Payload payload = decodePayload(plaintext);
    String sender = userOf(from);
    if (history.stream().noneMatch((s) -> s.id().equals(payload.id()))) {
      history.add(new Stored(payload.id(), sender.equals(user), payload.group() != null ? payload.group() : sender, from, payload.at(), payload.body()));
    }
    return new Received(payload.id(), from, payload.body(), payload.group());
  }

  /** What this device sent: its identity key and the recipient's open it again. Null if it cannot. */
  byte[] openSent(String from, String to, byte[] body) throws Failure {
    requireKeys();
    if (!from.equals(address)) return null;
    byte[] peer;
    try {
      peer = keyOf(to);
    } catch (ProviderRefused error) {
      return null;
    }
    byte[] plaintext;
    try {
      plaintext = open(from, to, peer, body);
    } catch (Failure malformed) {
      return null;
    }
    if (plaintext == null) return null;
    try {
      return decodePayload(plaintext).body();
    } catch (Failure malformed) {
      return null;
    }
  }

  void deleteMessages(List<String> ids) {
    if (ids == null) history.clear();
    else history.removeIf((s) -> ids.contains(s.id()));
  }

  /* Safety numbers ------------------------------------------------------------------------------ */

  /**
   * 60 digits: a half per user, each 30 digits of SHA-256 iterated over the user's name and the
   * identity keys of all of its devices as this device knows them (after Signal's numeric
   * fingerprint), the halves in sorted order so that both users see the same number.
   */
  String safetyNumber(String peer) throws Failure, ProviderRefused {
    requireKeys();
    String[] halves = { fingerprintHalf(user), fingerprintHalf(peer) };
    Arrays.sort(halves);
    String digits = halves[0] + halves[1];
    StringBuilder grouped = new StringBuilder();
    for (int i = 0; i < digits.length(); i += 5) grouped.append(i == 0 ? "" : " ").append(digits, i, i + 5);
    return grouped.toString();
  }

  void recordVerification(String peer, boolean matched, String theirNumber) throws Failure, ProviderRefused {
    // The number the user's primary showed: this device's own view must give the same.
    boolean holds = matched && (theirNumber == null || theirNumber.equals(safetyNumber(peer)));
    verification.put(peer, holds);
    if (!holds) keyhole.alert("verification-failed", peer);
  }

  private String fingerprintHalf(String of) throws Failure, ProviderRefused {
    List<byte[]> keys = new ArrayList<>();
    for (String device : devicesOf(of)) keys.add(keyOf(device));
    keys.sort(Arrays::compareUnsigned);
    byte[] all = new byte[keys.size() * Crypto.KEY_BYTES];
    for (int i = 0; i < keys.size(); i++) System.arraycopy(keys.get(i), 0, all, i * Crypto.KEY_BYTES, Crypto.KEY_BYTES);
    byte[] name = of.getBytes(StandardCharsets.UTF_8);
    return crypto(() -> {
      byte[] hash = Crypto.sha256(FINGERPRINT_VERSION, all, name);
      for (int i = 0; i < FINGERPRINT_ITERATIONS; i++) hash = Crypto.sha256(hash, all);
      StringBuilder digits = new StringBuilder();
      for (int chunk = 0; chunk < 6; chunk++) {
        long value = 0;
        for (int i = 0; i < 5; i++) value = value * 256 + (hash[chunk * 5 + i] & 0xff);
        digits.append(String.format(Locale.ROOT, "%05d", value % 100000));
      }
      return digits.toString();
    });
  }

  /* Groups: pairwise copies over the provider's roster ------------------------------------------ */

  void createGroup(String group, List<String> members) throws Failure, ProviderRefused {
    publishRoster(group, members);
  }

  void addMember(String group, String member) throws Failure, ProviderRefused {
    List<String> members = new ArrayList<>(rosterOf(group));
    if (!members.contains(member)) members.add(member);
    publishRoster(group, members);
  }

  void removeMember(String group, String member) throws Failure, ProviderRefused {
    List<String> members = new ArrayList<>(rosterOf(group));
    members.remove(member);
    publishRoster(group, members);
  }

  private void publishRoster(String group, List<String> members) throws Failure, ProviderRefused {
    Map<String, Object> fields = new TreeMap<>();
    fields.put("group", group);
    fields.put("members", members);
    fields.put("signed", null);
    keyhole.provider("provider.publishRoster", fields);
  }

  /* The device image ---------------------------------------------------------------------------- */

  /** Everything the device holds: keys, pinned peer keys, verifications, history in plaintext. */
  byte[] exportState() throws Failure {
    requireKeys();
    Wire.Writer image = new Wire.Writer(IMAGE).text(address).bytes(privateKey).bytes(publicKey);
    image.u32(pinned.size());
    pinned.forEach((device, key) -> image.text(device).bytes(key));
    image.u32(verification.size());
    verification.forEach((peer, matched) -> image.text(peer).flag(matched));
    image.u32(history.size());
    for (Stored s : history) image.text(s.id()).flag(s.outgoing()).text(s.conversation()).text(s.sender()).u64(s.at()).bytes(s.body());
    return image.done();
  }

  void restore(byte[] bytes) throws Failure {
    try {
      Wire.Reader image = new Wire.Reader(bytes, IMAGE, "device image");
      String of = image.text();
      if (!of.equals(address)) throw Failure.failed("the image is of " + of + ", not " + address);
      privateKey = image.bytes(Crypto.KEY_BYTES);
      publicKey = image.bytes(Crypto.KEY_BYTES);
      for (int i = image.count(8); i > 0; i--) pinned.put(image.text(), image.bytes(Crypto.KEY_BYTES));
      for (int i = image.count(5); i > 0; i--) verification.put(image.text(), image.flag());
      for (int i = image.count(25); i > 0; i--) {
        history.add(new Stored(image.text(), image.flag(), image.text(), image.text(), image.u64(), image.bytes()));
      }
      image.end();
    } catch (Wire.Malformed error) {
      throw Failure.failed(error.getMessage());
    }
  }

  /* Keys and sealing ---------------------------------------------------------------------------- */

  private byte[] seal(String to, byte[] payload) throws Failure, ProviderRefused {
    byte[] peer = keyOf(to);
    byte[] salt = keyhole.random(SALT_BYTES);
    byte[] ciphertext = crypto(() -> {
      byte[] okm = messageKey(peer, salt, address, to);
      return Crypto.sealAesGcm(Arrays.copyOf(okm, Crypto.KEY_BYTES), Arrays.copyOfRange(okm, Crypto.KEY_BYTES, okm.length), associatedData(address, to), payload);
    });
    return new Wire.Writer(ENVELOPE).bytes(salt).bytes(ciphertext).done();
  }

  /** The plaintext of an envelope between `from` and `to`, `peer` the other side's key; null when it does not decrypt. */
  private byte[] open(String from, String to, byte[] peer, byte[] body) throws Failure {
    byte[] salt;
    byte[] ciphertext;
    try {
      Wire.Reader envelope = new Wire.Reader(body, ENVELOPE, "envelope");
      salt = envelope.bytes(SALT_BYTES);
      ciphertext = envelope.bytes();
      envelope.end();
    } catch (Wire.Malformed error) {
      throw Failure.rejected("malformed-message", error.getMessage());
    }
    try {
      byte[] okm = messageKey(peer, salt, from, to);
      return Crypto.openAesGcm(Arrays.copyOf(okm, Crypto.KEY_BYTES), Arrays.copyOfRange(okm, Crypto.KEY_BYTES, okm.length), associatedData(from, to), ciphertext);
    } catch (GeneralSecurityException error) {
      // A bad tag, or a small-order peer key (X25519's all-zero output).
      return null;
    }
  }

  /** HKDF-SHA256(X25519(own, peer), salt, info naming both devices) -> AES-256 key || 96-bit nonce. */
  private byte[] messageKey(byte[] peer, byte[] salt, String from, String to) throws GeneralSecurityException {
    byte[] shared = Crypto.x25519(privateKey, peer);
    byte[] info = concat(KEY_INFO, new byte[] { 0 }, from.getBytes(StandardCharsets.UTF_8), new byte[] { 0 }, to.getBytes(StandardCharsets.UTF_8));
    return Crypto.hkdf(shared, salt, info, Crypto.KEY_BYTES + Crypto.NONCE_BYTES);
  }

  private static byte[] associatedData(String from, String to) {
    return (from + ">" + to).getBytes(StandardCharsets.UTF_8);
  }

  /** A device's identity key: this device's own, the pinned one, or the directory's (then pinned: trust on first use). */
  private byte[] keyOf(String device) throws Failure, ProviderRefused {
    if (device.equals(address)) return publicKey;
    byte[] key = pinned.get(device);
    if (key != null) return key;
    Map<String, Object> bundle = KeyholeClient.object(keyhole.provider("provider.fetchBundle", Map.of("address", device)).get("bundle"), "bundle");
    try {
      Wire.Reader reader = new Wire.Reader(KeyholeClient.decode(bundle.get("bundle"), "bundle.bundle"), BUNDLE, "bundle of " + device);
      key = reader.bytes(Crypto.KEY_BYTES);
      reader.end();
    } catch (Wire.Malformed error) {
      throw Failure.rejected("invalid-prekey", error.getMessage());
    }
    pinned.put(device, key);
    return key;
  }

  private List<String> devicesOf(String of) throws Failure, ProviderRefused {
    Map<String, Object> listing = KeyholeClient.object(keyhole.provider("provider.fetchDevices", Map.of("user", of)).get("listing"), "listing");
    List<String> devices = new ArrayList<>();
    for (String device : KeyholeClient.strings(listing.get("devices"), "listing.devices")) devices.add(of + "." + device);
    return devices;
  }

  private List<String> rosterOf(String group) throws Failure, ProviderRefused {
    Map<String, Object> roster = KeyholeClient.object(keyhole.provider("provider.fetchRoster", Map.of("group", group)).get("roster"), "roster");
    return KeyholeClient.strings(roster.get("members"), "roster.members");
  }

  private static Payload decodePayload(byte[] plaintext) throws Failure {
    try {
      Wire.Reader reader = new Wire.Reader(plaintext, PAYLOAD, "payload");
      Payload payload = new Payload(reader.text(), reader.optionalText(), reader.u64(), reader.bytes());
      reader.end();
      return payload;
    } catch (Wire.Malformed error) {
      throw Failure.rejected("malformed-message", error.getMessage());
    }
  }

  private void requireKeys() throws Failure {
    if (privateKey == null) throw Failure.failed(address + " is not registered");
  }

  static String userOf(String address) {
    return address.substring(0, address.indexOf('.'));
  }

  private static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) length += part.length;
    byte[] out = new byte[length];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, out, at, part.length);
      at += part.length;
    }
    return out;
  }

  private interface CryptoStep<T> {
    T run() throws GeneralSecurityException;
  }

  /** A step that must not fail with good keys: a failure there is the design failing. */
  private static <T> T crypto(CryptoStep<T> step) throws Failure {
    try {
      return step.run();
    } catch (GeneralSecurityException error) {
      throw Failure.failed("cryptography failed: " + error);
    }
  }
}
