package dev.halibut.benchmarks;

import dev.halibut.Thumbprints;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.transport.ThumbprintTrust;
import dev.halibut.transport.internal.ThumbprintTrustManagers;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The peer: gRPC-java (grpc-netty-shaded) with mutual TLS 1.3 between the same two certificates, on the
 * JDK's TLS provider (as Halibut and the raw floor: the same cryptography), trust by thumbprint as Halibut
 * decides it. No protobuf: three proto-free methods with a {@code byte[]} marshaller.
 *
 * <ul>
 *   <li>{@code Bench/Add}: unary; 8 bytes (two ints) in, 4 bytes (their sum) out;</li>
 *   <li>{@code Bench/Upload}: client streaming of 64 KiB chunks, answered with the byte count;</li>
 *   <li>{@code Bench/Download}: server streaming of {@code n} bytes in 64 KiB chunks.</li>
 * </ul>
 * Both streaming directions respect gRPC's flow control ({@code isReady}/{@code onReady}), so neither side
 * buffers more than the transport's window.
 */
final class GrpcPeer implements AutoCloseable {

    static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    static final MethodDescriptor<byte[], byte[]> ADD = method("Add", MethodDescriptor.MethodType.UNARY);
    static final MethodDescriptor<byte[], byte[]> UPLOAD = method("Upload", MethodDescriptor.MethodType.CLIENT_STREAMING);
    static final MethodDescriptor<byte[], byte[]> DOWNLOAD = method("Download", MethodDescriptor.MethodType.SERVER_STREAMING);

    private final Server server;
    private final SslContext clientSsl;
    private final InetSocketAddress address;
    private final ManagedChannel channel;

    GrpcPeer(CertificateAndKey serverId, CertificateAndKey clientId) throws IOException {
        ThumbprintTrust trust = new ThumbprintTrust();
        trust.add(Thumbprints.of(clientId.certificate()));
        SslContext serverSsl = GrpcSslContexts.configure(
                        SslContextBuilder.forServer(serverId.privateKey(), serverId.certificate()), SslProvider.JDK)
                .clientAuth(ClientAuth.REQUIRE)
                .trustManager(ThumbprintTrustManagers.forClients(trust))
                .protocols("TLSv1.3")
                .build();
        clientSsl = clientSsl(clientId, Thumbprints.of(serverId.certificate()));
        ServerServiceDefinition service = ServerServiceDefinition.builder("Bench")
                .addMethod(ADD, ServerCalls.asyncUnaryCall(GrpcPeer::add))
                .addMethod(UPLOAD, ServerCalls.asyncClientStreamingCall(GrpcPeer::upload))
                .addMethod(DOWNLOAD, ServerCalls.asyncServerStreamingCall(GrpcPeer::download))
                .build();
        server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .sslContext(serverSsl)
                .addService(service)
                .build()
                .start();
        address = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getPort());
        channel = newChannel();
    }

    /** The client's TLS: mutual, TLS 1.3, the JDK provider, the server pinned by thumbprint. */
    private static SslContext clientSsl(CertificateAndKey clientId, String serverThumbprint) throws IOException {
        return GrpcSslContexts.configure(
                        SslContextBuilder.forClient().keyManager(clientId.privateKey(), clientId.certificate()), SslProvider.JDK)
                .trustManager(ThumbprintTrustManagers.forServer(serverThumbprint))
                .protocols("TLSv1.3")
                .build();
    }

    /**
     * A channel to a {@link GrpcPeer} server in another process (at {@code address}, presenting the certificate with
     * {@code serverThumbprint}), as {@code clientId}; the caller closes it.
     */
    static ManagedChannel channelTo(InetSocketAddress address, CertificateAndKey clientId, String serverThumbprint)
            throws IOException {
        return NettyChannelBuilder.forAddress(address).overrideAuthority("localhost")
                .sslContext(clientSsl(clientId, serverThumbprint)).build();
    }

    /** The server's port on loopback. */
    int port() {
        return server.getPort();
    }

    /** A new channel to the server; it connects (TCP, TLS handshake, HTTP/2 preface) on its first call. */
    ManagedChannel newChannel() {
        return NettyChannelBuilder.forAddress(address).overrideAuthority("localhost").sslContext(clientSsl).build();
    }

    /** One unary {@code add(a, b)} on the shared channel. */
    int add(int a, int b) {
        return add(channel, a, b);
    }

    static int add(ManagedChannel channel, int a, int b) {
        byte[] request = ByteBuffer.allocate(8).putInt(a).putInt(b).array();
        byte[] response = ClientCalls.blockingUnaryCall(channel, ADD, CallOptions.DEFAULT, request);
        return ByteBuffer.wrap(response).getInt();
    }

    /** Streams {@code size} bytes to the server; returns the count it read. */
    long upload(long size) throws InterruptedException, ExecutionException {
        CompletableFuture<Long> done = new CompletableFuture<>();
        ReentrantLock lock = new ReentrantLock();
        Condition ready = lock.newCondition();
        ClientResponseObserver<byte[], byte[]> responses = new ClientResponseObserver<>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<byte[]> requestStream) {
                requestStream.setOnReadyHandler(() -> {
                    lock.lock();
                    try {
                        ready.signalAll();
                    } finally {
                        lock.unlock();
                    }
                });
            }

            @Override
            public void onNext(byte[] value) {
                done.complete(ByteBuffer.wrap(value).getLong());
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
                lock.lock();
                try {
                    ready.signalAll();
                } finally {
                    lock.unlock();
                }
            }

            @Override
            public void onCompleted() {
            }
        };
        ClientCallStreamObserver<byte[]> requests = (ClientCallStreamObserver<byte[]>)
                ClientCalls.asyncClientStreamingCall(channel.newCall(UPLOAD, CallOptions.DEFAULT), responses);
        long left = size;
        while (left > 0) {
            lock.lock();
            try {
                while (!requests.isReady() && !done.isDone()) {
                    ready.await(100, TimeUnit.MILLISECONDS);
                }
            } finally {
                lock.unlock();
            }
            if (done.isDone()) {
                break; // failed early: get() below throws its cause
            }
            int n = (int) Math.min(Blocks.BLOCK.length, left);
            // gRPC keeps a message until it is written: the block is shared, never changed, so no copy is needed.
            requests.onNext(n == Blocks.BLOCK.length ? Blocks.BLOCK : java.util.Arrays.copyOf(Blocks.BLOCK, n));
            left -= n;
        }
        requests.onCompleted();
        return done.get();
    }

    /** Receives {@code size} bytes streamed by the server; returns the count. */
    long download(long size) {
        Iterator<byte[]> chunks = ClientCalls.blockingServerStreamingCall(channel, DOWNLOAD, CallOptions.DEFAULT,
                ByteBuffer.allocate(8).putLong(size).array());
        long total = 0;
        while (chunks.hasNext()) {
            total += chunks.next().length;
        }
        return total;
    }

    private static void add(byte[] request, StreamObserver<byte[]> response) {
        ByteBuffer b = ByteBuffer.wrap(request);
        response.onNext(ByteBuffer.allocate(4).putInt(b.getInt() + b.getInt()).array());
        response.onCompleted();
    }

    private static StreamObserver<byte[]> upload(StreamObserver<byte[]> response) {
        return new StreamObserver<>() {
            long total;

            @Override
            public void onNext(byte[] chunk) {
                total += chunk.length;
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
                response.onNext(ByteBuffer.allocate(8).putLong(total).array());
                response.onCompleted();
            }
        };
    }

    private static void download(byte[] request, StreamObserver<byte[]> response) {
        long size = ByteBuffer.wrap(request).getLong();
        ServerCallStreamObserver<byte[]> out = (ServerCallStreamObserver<byte[]>) response;
        long[] left = {size};
        boolean[] finished = {false};
        // Runs on the transport's callbacks whenever the stream can take more: never more than the window.
        Runnable pump = () -> {
            synchronized (left) {
                while (out.isReady() && left[0] > 0 && !out.isCancelled()) {
                    int n = (int) Math.min(Blocks.BLOCK.length, left[0]);
                    out.onNext(n == Blocks.BLOCK.length ? Blocks.BLOCK : java.util.Arrays.copyOf(Blocks.BLOCK, n));
                    left[0] -= n;
                }
                if (left[0] == 0 && !finished[0]) {
                    finished[0] = true;
                    out.onCompleted();
                }
            }
        };
        out.setOnReadyHandler(pump);
        pump.run();
    }

    private static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(type)
                .setFullMethodName(MethodDescriptor.generateFullMethodName("Bench", name))
                .setRequestMarshaller(BYTES)
                .setResponseMarshaller(BYTES)
                .build();
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

}
