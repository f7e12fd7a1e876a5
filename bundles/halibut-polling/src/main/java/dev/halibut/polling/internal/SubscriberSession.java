package dev.halibut.polling.internal;

import dev.halibut.HalibutLimits;
import dev.halibut.StreamTransferListener;
import dev.halibut.polling.CollectedRequest;
import dev.halibut.polling.PendingRequestQueue;
import dev.halibut.transport.Connection;
import dev.halibut.transport.ReceivedStreamStore;
import dev.halibut.transport.StreamAbortedException;
import dev.halibut.transport.StreamSourceException;
import dev.halibut.transport.ThumbprintTrust;
import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.MessageCodec;
import dev.halibut.ReceivedMessage;
import dev.halibut.wire.ProtocolException;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener side of one subscriber connection: hands it the subscription's queued requests one at
 * a time and carries the responses back. Whenever no work has come for the keep-alive interval, and before
 * a request unless the subscriber was heard from within the heartbeat skip window and its connection is
 * open and quiet ({@link dev.halibut.transport.Connection#readyForRequest}), it sends NEXT and expects PROCEED: a
 * dead connection is found before a request is sent on it, and the request goes back to the queue for
 * another connection.
 */
public final class SubscriberSession {

    private static final Logger LOG = LoggerFactory.getLogger(SubscriberSession.class);

    private final PendingRequestQueue queue;
    private final ThumbprintTrust trust;
    private final HalibutLimits limits;
    private final MessageCodec codec;
    private final ReceivedStreamStore streams;
    private final StreamTransferListener progress;

    public SubscriberSession(PendingRequestQueue queue, ThumbprintTrust trust, HalibutLimits limits, MessageCodec codec,
                             ReceivedStreamStore streams, StreamTransferListener progress) {
        this.queue = queue;
        this.trust = trust;
        this.limits = limits;
        this.codec = codec;
        this.streams = streams;
        this.progress = progress;
    }

    /**
     * Starts serving {@code connection}, identified as a subscriber of {@code subscription}, and returns at once:
     * the connection waits for work without a thread ({@link PendingRequestQueue#takeAsync}), its keep-alive
     * NEXT / PROCEED runs from a timer on its event loop, and a request is sent and its response received on one
     * of {@code workers}. Call on the connection's event loop (or any thread that may not block). The session
     * closes the connection when it ends.
     */
    public void start(Connection connection, URI subscription, Executor workers) {
        LOG.info("Subscriber {} connected for {}", connection, subscription);
        connection.onClose(() -> LOG.info("Subscriber {} of {} disconnected", connection, subscription));
        new Session(connection, subscription, workers).awaitWork();
    }

    /** One subscriber connection's turns: wait for work, keep alive, exchange, again. */
    private final class Session {
        private final Connection connection;
        private final URI subscription;
        private final Executor workers;

        Session(Connection connection, URI subscription, Executor workers) {
            this.connection = connection;
            this.subscription = subscription;
            this.workers = workers;
        }

        /**
         * Waits, holding no thread, for whichever comes first: a request of the subscription, the keep-alive
         * interval, or anything from the subscriber (END, its close, or a frame it must not send now).
         */
        void awaitWork() {
            if (connection.isClosed()) {
                return;
            }
            AtomicBoolean decided = new AtomicBoolean();
            CompletableFuture<CollectedRequest> take = queue.takeAsync(subscription, connection.remoteThumbprint(), workers);
            Connection.ReadableWatch watch = connection.onReadable(null, readable -> {
                if (decided.compareAndSet(false, true)) {
                    take.cancel(false);
                    subscriberSpoke();
                }
            });
            Future<?> keepAlive;
            try {
                keepAlive = connection.schedule(limits.pollingKeepAlive(), () -> {
                    if (decided.compareAndSet(false, true)) {
                        take.cancel(false);
                        watch.cancel();
                        keepAlive();
                    }
                });
            } catch (RejectedExecutionException e) {
                take.cancel(false);
                watch.cancel();
                connection.close(); // the event loops are shutting down with the runtime
                return;
            }
            take.whenComplete((request, error) -> {
                if (!decided.compareAndSet(false, true)) {
                    if (request != null) {
                        request.putBack(); // handed out just as the subscriber spoke or the keep-alive came
                    }
                    return;
                }
                watch.cancel();
                keepAlive.cancel(false);
                if (error != null) {
                    LOG.error("Closing subscriber {} of {}: the queue failed to hand it work", connection, subscription,
                            error);
                    connection.close();
                } else if (request == null) {
                    LOG.info("Closing subscriber {} of {}: the queue is closed or its store unreachable; the service"
                            + " host connects again", connection, subscription);
                    connection.closeGracefully();
                } else {
                    try {
                        workers.execute(() -> serve(request));
                    } catch (RejectedExecutionException e) {
                        request.putBack();
                        connection.close(); // the listener is shutting down
                    }
                }
            });
        }

        /** On the event loop: what the subscriber sent while it waited ends this session. */
        private void subscriberSpoke() {
            try {
                Frame f = connection.readFrame(limits.heartbeatTimeout()); // there: onReadable said so
                if (f.type() != FrameType.END) {
                    LOG.warn("Closing subscriber {} of {}: it sent a {} frame while it waited for work, which the"
                            + " protocol does not allow", connection, subscription, f.type());
                }
            } catch (java.io.EOFException e) {
                LOG.debug("Subscriber {} of {} closed its connection", connection, subscription);
            } catch (IOException e) {
                LOG.debug("Subscriber {} of {} ended: {}", connection, subscription, e.toString());
            }
            connection.close();
        }

        /** On the event loop: no work came for the keep-alive interval; NEXT / PROCEED proves the subscriber is there. */
        private void keepAlive() {
            if (!trusted(null)) {
                return;
            }
            connection.checkAliveAsync(limits.heartbeatTimeout(), alive -> {
                if (alive) {
                    awaitWork();
                } else {
                    connection.close();
                }
            });
        }

        /** On a worker: sends the request and receives its response, then waits for work again. */
        private void serve(CollectedRequest request) {
            boolean again = false;
            try {
                if (!trusted(request)) {
                    return;
                }
                // A request goes out at once on a connection heard from just now that is open and quiet; otherwise
                // NEXT / PROCEED proves the subscriber is there first.
                if (!connection.readyForRequest(limits.heartbeatTimeout(), limits.heartbeatSkipWindow())) {
                    request.putBack();
                    return;
                }
                if (request.sending()) {
                    exchange(connection, request);
                }
                again = true;
            } catch (IOException e) {
                if (!connection.isClosed()) {
                    LOG.warn("Subscriber {} of {} failed: {}", connection, subscription, e.toString());
                }
            } catch (RuntimeException e) {
                LOG.error("Serving subscriber {} of {} failed unexpectedly; closing it", connection, subscription, e);
            } finally {
                if (again) {
                    awaitWork();
                } else {
                    connection.close();
                }
            }
        }

        /** Closes the connection (putting {@code request} back) if the subscriber's certificate is no longer trusted. */
        private boolean trusted(CollectedRequest request) {
            if (trust.isTrusted(connection.remoteThumbprint())) {
                return true;
            }
            LOG.warn("Closing subscriber {} of {}: its certificate {} is no longer trusted", connection,
                    subscription, connection.remoteThumbprint());
            if (request != null) {
                request.putBack();
            }
            connection.close();
            return false;
        }
    }

    private void exchange(Connection connection, CollectedRequest request) throws IOException {
        try {
            connection.sendMessage(FrameType.REQUEST, request.request().bson());
            connection.sendStreams(request.request().streams(), progress);
            Frame frame = connection.readFrame(limits.responseTimeout());
            if (frame.type() != FrameType.RESPONSE) {
                throw new ProtocolException("expected a RESPONSE frame from the subscriber but got " + frame.type());
            }
            byte[] bson = connection.messageBytes(frame);
            // The envelope names the streams that follow it; the caller decodes the rest.
            var received = connection.receiveStreams(codec.decodeResponse(bson).streams(), streams,
                    limits.responseTimeout(), progress);
            request.complete(new ReceivedMessage(bson, received));
        } catch (StreamSourceException e) {
            request.fail(e.getMessage());
            throw e;
        } catch (StreamAbortedException e) {
            request.fail("the polling service host could not send its response: " + e.getMessage());
            throw e;
        } catch (java.net.SocketTimeoutException e) {
            // The caller's own wait ends about now too; whichever notices first, the caller is told the same.
            request.fail("collected, but no response came within " + limits.responseTimeout() + " (responseTimeout)");
            throw e;
        } catch (IOException e) {
            request.fail("the polling service host's connection failed after the request was sent (" + e + ")");
            throw e;
        }
    }
}
