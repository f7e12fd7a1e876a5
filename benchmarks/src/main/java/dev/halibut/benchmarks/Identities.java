package dev.halibut.benchmarks;

import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.wire.Compressor;
import dev.halibut.wire.MessageCodec;
import java.io.IOException;
import java.lang.reflect.Type;
import java.util.UUID;

/** The two certificates every baseline shares (EC P-256, self-signed), and the sizes of Halibut's add(1,2). */
final class Identities {

    /** The side that calls (the listener in polling mode). */
    static final CertificateAndKey CALLER = Certificates.generateSelfSigned("bench-caller");
    /** The side that serves. */
    static final CertificateAndKey HOST = Certificates.generateSelfSigned("bench-host");

    /** Bytes of Halibut's REQUEST frame for add(1,2), header included: the raw floor sends as many. */
    static final int ADD_REQUEST_BYTES;
    /** Bytes of its RESPONSE frame. */
    static final int ADD_RESPONSE_BYTES;

    static {
        MessageCodec codec = new MessageCodec();
        String id = UUID.randomUUID().toString();
        try (Compressor c = new Compressor()) {
            ADD_REQUEST_BYTES = 5 + c.compress(codec.encodeRequest(id, "Adder", "add", new Type[] {int.class, int.class},
                    new Object[] {1, 2}).bson()).length;
            ADD_RESPONSE_BYTES = 5 + c.compress(codec.encodeResponse(id, int.class, 3).bson()).length;
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Identities() {
    }
}
