import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The primitives of the design, all from the Java standard library (SunEC, SunJCE): X25519
 * (RFC 7748), HKDF-SHA256 (RFC 5869), AES-256-GCM (NIST SP 800-38D) and SHA-256. Keys are raw
 * bytes as on the wire; no key is ever made from Java's own randomness.
 */
final class Crypto {
  static final int KEY_BYTES = 32;
  static final int NONCE_BYTES = 12;
  static final int TAG_BITS = 128;

  private Crypto() {}

  /** The public key of a private scalar: X25519(k, 9) (RFC 7748 §6.1). */
  static byte[] x25519PublicKey(byte[] privateKey) throws GeneralSecurityException {
    byte[] basePoint = new byte[KEY_BYTES];
    basePoint[0] = 9;
    return x25519(privateKey, basePoint);
  }

  /**
   * X25519(k, u) (RFC 7748 §5): Java clamps the scalar; the u-coordinate is little-endian
   * with its top bit masked, as §5 requires. An all-zero result (a small-order point) throws.
   */
  static byte[] x25519(byte[] privateKey, byte[] publicKey) throws GeneralSecurityException {
    if (privateKey.length != KEY_BYTES || publicKey.length != KEY_BYTES) throw new GeneralSecurityException("X25519 keys are 32 bytes");
    KeyFactory factory = KeyFactory.getInstance("XDH");
    PrivateKey scalar = factory.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, privateKey.clone()));
    byte[] bigEndian = new byte[KEY_BYTES];
    for (int i = 0; i < KEY_BYTES; i++) bigEndian[i] = publicKey[KEY_BYTES - 1 - i];
    bigEndian[0] &= 0x7f;
    PublicKey point = factory.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(1, bigEndian)));
    KeyAgreement agreement = KeyAgreement.getInstance("XDH");
    agreement.init(scalar);
    agreement.doPhase(point, true);
    return agreement.generateSecret();
  }

  /** HKDF-SHA256 (RFC 5869 §2.2 extract, §2.3 expand). */
  static byte[] hkdf(byte[] ikm, byte[] salt, byte[] info, int length) throws GeneralSecurityException {
    byte[] prk = hmac(salt.length == 0 ? new byte[32] : salt, ikm);
    byte[] okm = new byte[length];
    byte[] block = new byte[0];
    for (int i = 1, filled = 0; filled < length; i++) {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(prk, "HmacSHA256"));
      mac.update(block);
      mac.update(info);
      mac.update((byte) i);
      block = mac.doFinal();
      int n = Math.min(block.length, length - filled);
      System.arraycopy(block, 0, okm, filled, n);
      filled += n;
    }
    return okm;
  }

  static byte[] hmac(byte[] key, byte[] data) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(data);
  }

  static byte[] sealAesGcm(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    cipher.updateAAD(aad);
    return cipher.doFinal(plaintext);
  }

  /** Throws (AEADBadTagException) when the tag does not verify. */
  static byte[] openAesGcm(byte[] key, byte[] nonce, byte[] aad, byte[] ciphertext) throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    cipher.updateAAD(aad);
    return cipher.doFinal(ciphertext);
  }

  static byte[] sha256(byte[]... parts) throws GeneralSecurityException {
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    for (byte[] part : parts) digest.update(part);
    return digest.digest();
  }
}
