package dev.kiln.host.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads PEM certificate chains and private keys with the JDK alone: PKCS#8 ({@code PRIVATE KEY}),
 * PKCS#1 ({@code RSA PRIVATE KEY}) and SEC1 ({@code EC PRIVATE KEY}); the last two are wrapped into
 * PKCS#8, which the JDK reads natively. Encrypted keys are refused with a hint. Messages never
 * contain key material.
 */
public final class PemKeys {
    private static final Pattern BLOCK =
            Pattern.compile(
                    "-----BEGIN ([A-Z0-9 ]+)-----\\s*(.*?)-----END \\1-----", Pattern.DOTALL);

    /** rsaEncryption, 1.2.840.113549.1.1.1 */
    private static final byte[] OID_RSA = {
        0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01
    };

    /** id-ecPublicKey, 1.2.840.10045.2.1 */
    private static final byte[] OID_EC = {
        0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01
    };

    private PemKeys() {}

    /** A PEM problem, with a message fit for the operator (names the file, never its secrets). */
    public static final class PemException extends Exception {
        private static final long serialVersionUID = 1L;

        PemException(String message) {
            super(message);
        }

        PemException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private record Block(String type, byte[] der) {}

    private static List<Block> blocks(String pem) throws PemException {
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(pem);
        while (m.find()) {
            String body = m.group(2);
            if (body.contains("Proc-Type:") && body.contains("ENCRYPTED")) {
                throw encrypted();
            }
            try {
                out.add(new Block(m.group(1), Base64.getMimeDecoder().decode(body.strip())));
            } catch (IllegalArgumentException e) {
                throw new PemException("a " + m.group(1) + " block is not valid base64");
            }
        }
        return out;
    }

    /** The certificates of a PEM file, leaf first. */
    public static List<X509Certificate> certificates(byte[] pem) throws PemException {
        List<X509Certificate> chain = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Block b : blocks(new String(pem, StandardCharsets.US_ASCII))) {
                if (b.type().equals("CERTIFICATE")) {
                    chain.add(
                            (X509Certificate)
                                    cf.generateCertificate(new ByteArrayInputStream(b.der())));
                }
            }
        } catch (CertificateException e) {
            throw new PemException("a CERTIFICATE block is not a valid X.509 certificate", e);
        }
        if (chain.isEmpty()) {
            throw new PemException("no '-----BEGIN CERTIFICATE-----' block found");
        }
        return chain;
    }

    /** The private key of a PEM file: RSA or EC, in PKCS#8, PKCS#1 or SEC1 form. */
    public static PrivateKey privateKey(byte[] pem) throws PemException {
        for (Block b : blocks(new String(pem, StandardCharsets.US_ASCII))) {
            switch (b.type()) {
                case "PRIVATE KEY" -> {
                    return pkcs8(b.der());
                }
                case "RSA PRIVATE KEY" -> {
                    return decode("RSA", pkcs8Of(OID_RSA, new byte[] {0x05, 0x00}, b.der()));
                }
                case "EC PRIVATE KEY" -> {
                    return decode("EC", pkcs8Of(OID_EC, sec1Curve(b.der()), b.der()));
                }
                case "ENCRYPTED PRIVATE KEY" -> throw encrypted();
                default -> {
                    // EC PARAMETERS, certificates and anything else: not the key.
                }
            }
        }
        throw new PemException(
                "no private key block found (expected PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE"
                        + " KEY)");
    }

    private static PrivateKey pkcs8(byte[] der) throws PemException {
        for (String algorithm : new String[] {"RSA", "EC"}) {
            try {
                return KeyFactory.getInstance(algorithm)
                        .generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (InvalidKeySpecException e) {
                // try the next algorithm
            } catch (GeneralSecurityException e) {
                throw new PemException("the JDK cannot read " + algorithm + " keys", e);
            }
        }
        throw new PemException("the PKCS#8 private key is neither RSA nor EC");
    }

    private static PrivateKey decode(String algorithm, byte[] pkcs8) throws PemException {
        try {
            return KeyFactory.getInstance(algorithm)
                    .generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            throw new PemException("the " + algorithm + " private key is not valid", e);
        }
    }

    private static PemException encrypted() {
        return new PemException(
                "the private key is encrypted; Kiln reads unencrypted keys only (decrypt it with"
                        + " 'openssl pkey -in KEY -out PLAIN_KEY' and keep that file mode 0600)");
    }

    /** PrivateKeyInfo { 0, AlgorithmIdentifier { oid, params }, OCTET STRING { key } }. */
    static byte[] pkcs8Of(byte[] oid, byte[] params, byte[] key) {
        byte[] algorithm = tlv(0x30, concat(oid, params));
        return tlv(0x30, concat(new byte[] {0x02, 0x01, 0x00}, algorithm, tlv(0x04, key)));
    }

    /**
     * The named-curve OID of a SEC1 ECPrivateKey ({@code SEQUENCE { version, OCTET STRING, [0] OID,
     * [1] BIT STRING }}), as a complete DER OID.
     */
    static byte[] sec1Curve(byte[] der) throws PemException {
        Der seq = new Der(der, 0);
        if (seq.tag != 0x30) {
            throw new PemException("the EC PRIVATE KEY is not a DER sequence");
        }
        int at = seq.contentStart;
        while (at < seq.end) {
            Der item = new Der(der, at);
            if (item.tag == 0xa0) { // [0] parameters
                Der oid = new Der(der, item.contentStart);
                if (oid.tag != 0x06) {
                    break;
                }
                return java.util.Arrays.copyOfRange(der, item.contentStart, oid.end);
            }
            at = item.end;
        }
        throw new PemException(
                "the EC PRIVATE KEY names no curve; write it with its parameters (openssl ec"
                        + " -param_enc named_curve) or as PKCS#8");
    }

    /** One DER tag-length-value header, enough to walk a private key's structure. */
    private static final class Der {
        final int tag;
        final int contentStart;
        final int end;

        Der(byte[] b, int at) throws PemException {
            try {
                tag = b[at] & 0xff;
                int len = b[at + 1] & 0xff;
                int start = at + 2;
                if (len > 0x80) {
                    int n = len & 0x7f;
                    if (n > 3) {
                        throw new PemException("a DER length is too large");
                    }
                    len = 0;
                    for (int i = 0; i < n; i++) {
                        len = (len << 8) | (b[start + i] & 0xff);
                    }
                    start += n;
                } else if (len == 0x80) {
                    throw new PemException("indefinite DER lengths are not allowed");
                }
                contentStart = start;
                end = start + len;
                if (end > b.length) {
                    throw new PemException("a DER value runs past the end of the key");
                }
            } catch (ArrayIndexOutOfBoundsException e) {
                throw new PemException("the key's DER structure is truncated");
            }
        }
    }

    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int len = content.length;
        if (len < 0x80) {
            out.write(len);
        } else if (len < 0x100) {
            out.write(0x81);
            out.write(len);
        } else if (len < 0x10000) {
            out.write(0x82);
            out.write(len >> 8);
            out.write(len);
        } else {
            out.write(0x83);
            out.write(len >> 16);
            out.write(len >> 8);
            out.write(len);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
