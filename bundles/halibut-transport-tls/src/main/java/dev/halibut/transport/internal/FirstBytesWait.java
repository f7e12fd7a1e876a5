package dev.halibut.transport.internal;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits, on one thread for all of a listener's connections, until an accepted connection has sent its first
 * bytes (the TLS ClientHello), so that a connection that opens and then sends nothing holds no thread of its
 * own. The blocking TLS handshake starts only then. A connection closed while it waits (its handshake
 * deadline) is simply forgotten. Owns its selector and its thread; {@link #close()} ends both.
 */
public final class FirstBytesWait implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FirstBytesWait.class);

    private record Waiting(SocketChannel channel, Runnable ready) {
    }

    private final Selector selector;
    private final Queue<Waiting> added = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    public FirstBytesWait(String threadName) throws IOException {
        this.selector = Selector.open();
        this.thread = new Thread(this::loop, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Runs {@code ready} on this class's thread once {@code channel} can be read (bytes, end of stream or an
     * error), with the channel back in blocking mode. {@code ready} must be quick: hand the connection on.
     * Nothing runs for a channel that is closed before.
     */
    public void whenReadable(SocketChannel channel, Runnable ready) {
        added.add(new Waiting(channel, ready));
        selector.wakeup();
    }

    private void loop() {
        try {
            select();
        } finally {
            try {
                selector.close();
            } catch (IOException e) {
                LOG.debug("Closing the selector: {}", e.toString());
            }
        }
    }

    private void select() {
        while (!closed) {
            try {
                selector.select();
                for (Waiting w; (w = added.poll()) != null; ) {
                    try {
                        w.channel.configureBlocking(false);
                        w.channel.register(selector, SelectionKey.OP_READ, w);
                    } catch (ClosedChannelException e) {
                        // closed before it was registered (deadline or shutdown): nothing to wait for
                    }
                }
                List<Waiting> ready = new ArrayList<>();
                for (SelectionKey key : selector.selectedKeys()) {
                    key.cancel();
                    ready.add((Waiting) key.attachment());
                }
                selector.selectedKeys().clear();
                if (ready.isEmpty()) {
                    continue;
                }
                selector.selectNow(); // deregisters the cancelled keys, so the channels can block again
                for (Waiting w : ready) {
                    try {
                        w.channel.configureBlocking(true);
                    } catch (IOException e) {
                        continue; // closed meanwhile
                    }
                    try {
                        w.ready.run();
                    } catch (RuntimeException e) {
                        LOG.error("Handing on a connection failed; closing it", e);
                        closeQuietly(w.channel);
                    }
                }
            } catch (IOException e) {
                if (!closed) {
                    LOG.error("Waiting for new connections' first bytes failed; closing those connections: {}", e.toString());
                    selector.keys().forEach(k -> closeQuietly((SocketChannel) k.channel()));
                }
            } catch (java.nio.channels.ClosedSelectorException e) {
                return; // closed under us: the listener is shutting down and closes its connections itself
            }
        }
    }

    /**
     * Call after closing a channel that may be waiting here (its handshake deadline): a registered channel's
     * socket is released only when the selector next wakes, so this wakes it now and the peer sees the close.
     */
    public void closedOne() {
        selector.wakeup();
    }

    /** How many connections wait now (for tests and diagnostics). */
    public int waiting() {
        return selector.keys().size() + added.size();
    }

    private static void closeQuietly(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing after a failure: the channel is released whatever close() reports
        }
    }

    /**
     * Ends the thread (which closes the selector) without waiting for it: see {@link #thread()}. The waiting
     * connections are the listener's to close.
     */
    @Override
    public void close() {
        closed = true;
        selector.wakeup();
    }

    /** The thread, for joining at shutdown. */
    public Thread thread() {
        return thread;
    }
}
