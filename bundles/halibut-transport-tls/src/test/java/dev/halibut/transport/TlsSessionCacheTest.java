package dev.halibut.transport;

import static org.assertj.core.api.Assertions.assertThat;

import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;

/**
 * Session caches are bounded: with the JDK's default (20,480 sessions for 24 hours) every reconnect kept a
 * few KiB alive, and the soak test saw the live heap grow by 16 MiB over 500,000 calls with 1,264 resets.
 */
class TlsSessionCacheTest {

    @Test
    void clientAndServerContextsKeepAtMost256Sessions() {
        TlsListenerTest.TestCert id = TestCerts.create("cache");
        TlsContextFactory factory = new TlsContextFactory(id.certificate(), id.keys().getPrivate());
        SSLContext client = factory.clientContext(factory.thumbprint());
        SSLContext server = factory.serverContext(new ThumbprintTrust());
        for (SSLContext c : new SSLContext[] {client, server}) {
            assertThat(c.getClientSessionContext().getSessionCacheSize()).isEqualTo(256);
            assertThat(c.getServerSessionContext().getSessionCacheSize()).isEqualTo(256);
        }
    }
}
