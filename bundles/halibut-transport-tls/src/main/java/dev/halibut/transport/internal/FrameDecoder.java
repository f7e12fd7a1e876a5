package dev.halibut.transport.internal;

import dev.halibut.wire.Frame;
import dev.halibut.wire.FrameReader;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.MessageBudgetExceededException;
import dev.halibut.wire.MessageMemoryBudget;
import dev.halibut.wire.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Turns the decrypted bytes of a connection into {@link Frame}s, on the event loop, with the bounds of
 * {@link FrameReader}: every length is checked against its type's limit before any payload is read; a payload's
 * memory starts at most {@link FrameReader#UNCHARGED_BYTES} long and doubles only when full, so a peer that
 * announces a large message and sends nothing costs one chunk; growth beyond that is taken from the runtime-wide
 * {@link MessageMemoryBudget} until the frame is complete. When the budget is taken the connection stops reading
 * (no thread waits: the event loop looks again a little later) for as long as it would wait for the peer's next
 * bytes, then fails with {@link MessageBudgetExceededException}.
 *
 * <p>A STREAM_DATA frame is not copied into an array: it is passed on as {@link StreamData}, a retained slice of
 * the buffers TLS decrypted it into, which the stream's reader copies once into its own array. A piece of a frame
 * is sliced only when it is at least a quarter of the buffer it lies in (so the memory a frame keeps is at most four
 * times its length, and the inbox's bound in payload bytes stays a bound on memory); a frame that comes in smaller
 * pieces, or in more than {@link #MAX_SLICES}, is copied into one buffer of its length instead.
 */
public final class FrameDecoder extends ChannelInboundHandlerAdapter {

    /** How often a connection waiting for budget looks again. */
    static final long BUDGET_RETRY_MILLIS = 10;
    private static final int HEADER = 5;
    /** Pieces of one STREAM_DATA frame kept as slices before the frame is copied into one buffer. */
    static final int MAX_SLICES = 8;

    private final int maxMessageSize;
    private final MessageMemoryBudget budget;
    private final LongSupplier budgetWaitNanos;
    private final ReadGate gate;

    private final byte[] header = new byte[HEADER];
    private int headerGot;
    private FrameType type;
    private int length;
    private byte[] payload;
    private int got;
    private long charged;
    /** The STREAM_DATA frame being received: slices of the decrypted buffers, or one copy; released on failure. */
    private ByteBuf data;
    /** Whether {@link #data} is a copy that the rest of the frame is written into. */
    private boolean copying;
    /** Bytes that arrived while this decoder waits for budget; read on once it has it. */
    private final ArrayDeque<ByteBuf> parked = new ArrayDeque<>();
    private long waitingSince;
    private boolean failed;

    /**
     * @param budgetWaitNanos how long a message may wait for the budget each time its buffer grows: what the
     *                        connection's reader waits for the peer's bytes now
     * @param gate            stops the connection's reading while a message waits for memory
     */
    public FrameDecoder(int maxMessageSize, MessageMemoryBudget budget, LongSupplier budgetWaitNanos, ReadGate gate) {
        this.gate = gate;
        this.maxMessageSize = maxMessageSize;
        this.budget = budget;
        this.budgetWaitNanos = budgetWaitNanos;
    }

    /** Whether part of a frame has arrived and the rest not yet (read from any thread: a hint). */
    public boolean inFrame() {
        return headerGot > 0 || type != null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        if (failed) {
            in.release();
            return;
        }
        if (!parked.isEmpty()) {
            parked.add(in);
            return;
        }
        decode(ctx, in);
    }

    private void decode(ChannelHandlerContext ctx, ByteBuf in) {
        try {
            while (in.isReadable() && !failed) {
                if (type == null) {
                    int n = Math.min(HEADER - headerGot, in.readableBytes());
                    in.readBytes(header, headerGot, n);
                    if (headerGot == 0) {
                        typeOf(header[0]); // refused at its first byte, as FrameReader does, not after four more
                    }
                    headerGot += n;
                    if (headerGot == HEADER) {
                        startFrame(ctx);
                    }
                } else if (type == FrameType.STREAM_DATA) {
                    int n = Math.min(length - got, in.readableBytes());
                    takeData(ctx, in, n);
                    got += n;
                    if (got == length) {
                        emitData(ctx);
                    }
                } else {
                    if (got == payload.length && !grow(ctx)) {
                        parked.addFirst(in.retain());
                        return;
                    }
                    int n = Math.min(payload.length - got, in.readableBytes());
                    in.readBytes(payload, got, n);
                    got += n;
                    if (got == length) {
                        emit(ctx);
                    }
                }
            }
        } catch (ProtocolException e) {
            fail(ctx, e);
        } finally {
            in.release();
        }
    }

    private void startFrame(ChannelHandlerContext ctx) throws ProtocolException {
        headerGot = 0;
        FrameType t = typeOf(header[0]);
        long len = ((header[1] & 0xFFL) << 24) | ((header[2] & 0xFFL) << 16) | ((header[3] & 0xFFL) << 8) | (header[4] & 0xFFL);
        if (!t.carriesPayload()) {
            if (len != 0) {
                throw new ProtocolException(t + " frame must be empty but declares " + len + " bytes");
            }
            ctx.fireChannelRead(Frame.control(t));
            return;
        }
        long max = switch (t) {
            case REQUEST, RESPONSE -> maxMessageSize;
            case STREAM_DATA -> FrameType.MAX_STREAM_CHUNK;
            case STREAM_END -> FrameType.STREAM_END_SIZE;
            case STREAM_ABORT -> FrameType.MAX_REASON;
            default -> 0;
        };
        if (len > max) {
            throw new ProtocolException(t + " frame of " + len + " bytes exceeds the "
                    + (t == FrameType.REQUEST || t == FrameType.RESPONSE ? "maximum message size of " : "limit of ")
                    + max + " bytes");
        }
        if (t == FrameType.STREAM_DATA && len == 0) {
            throw new ProtocolException("STREAM_DATA frame is empty; it must carry 1 to " + max + " bytes");
        }
        if (t == FrameType.STREAM_END && len != FrameType.STREAM_END_SIZE) {
            throw new ProtocolException("STREAM_END frame must be " + FrameType.STREAM_END_SIZE + " bytes, not " + len);
        }
        type = t;
        length = (int) len;
        got = 0;
        if (t == FrameType.STREAM_DATA) {
            return; // kept in the decrypted buffers (takeData), not in an array
        }
        payload = new byte[Math.min(length, FrameReader.UNCHARGED_BYTES)];
        if (length == 0) {
            emit(ctx);
        }
    }

    private static FrameType typeOf(byte code) throws ProtocolException {
        FrameType t = FrameType.ofCode(code & 0xFF);
        if (t == null) {
            throw new ProtocolException(String.format("Unknown frame type 0x%02X", code & 0xFF));
        }
        return t;
    }

    /**
     * Doubles the payload buffer (up to its length), taking the growth from the budget without waiting.
     *
     * @return false when the budget is taken: reading stops and a retry is scheduled
     */
    private boolean grow(ChannelHandlerContext ctx) {
        int next = (int) Math.min(length, 2L * payload.length);
        long charge = next - FrameReader.UNCHARGED_BYTES - charged;
        boolean taken;
        try {
            taken = budget.reserve(charge, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            taken = false;
        }
        if (!taken) {
            if (waitingSince == 0) {
                waitingSince = System.nanoTime();
            }
            gate.waitingForBudget(true);
            ctx.executor().schedule(() -> retry(ctx), BUDGET_RETRY_MILLIS, TimeUnit.MILLISECONDS);
            return false;
        }
        waitingSince = 0;
        charged += charge;
        payload = java.util.Arrays.copyOf(payload, next);
        return true;
    }

    private void retry(ChannelHandlerContext ctx) {
        if (failed || parked.isEmpty() || !ctx.channel().isActive()) {
            return;
        }
        long waited = System.nanoTime() - waitingSince;
        if (waited > budgetWaitNanos.getAsLong()) {
            fail(ctx, new MessageBudgetExceededException("Cannot receive a " + type + " frame of " + length
                    + " bytes: the messages still arriving on this runtime's connections hold " + budget.used()
                    + " of the " + budget.capacity() + " bytes they may hold in all (incompleteMessageBudget), and not"
                    + " enough was freed within " + java.time.Duration.ofNanos(budgetWaitNanos.getAsLong())
                    + ". Closing this connection; raise incompleteMessageBudget if large messages from many peers at"
                    + " once are expected"));
            return;
        }
        // Drain what was parked; a new shortage parks the rest again and schedules the next retry.
        while (!parked.isEmpty() && !failed) {
            ByteBuf b = parked.pollFirst();
            int before = parked.size();
            decode(ctx, b);
            if (parked.size() > before) {
                ctx.fireChannelReadComplete(); // for what was decoded before it (see below)
                return; // parked again (the budget is still taken)
            }
        }
        if (!failed) {
            gate.waitingForBudget(false);
        }
        // Frames decoded here arrived outside a read from the socket: end them as a read would, so that whoever
        // waits for the end of a read (the inbox's wake-up of a stream's reader) sees it.
        ctx.fireChannelReadComplete();
    }

    /** The next {@code n} bytes of {@code in} belong to the STREAM_DATA frame being received. */
    private void takeData(ChannelHandlerContext ctx, ByteBuf in, int n) {
        if (!copying) {
            int pieces = data == null ? 0 : data instanceof CompositeByteBuf c ? c.numComponents() : 1;
            if ((long) n * 4 >= rootCapacity(in) && pieces < MAX_SLICES) {
                ByteBuf piece = in.readRetainedSlice(n);
                if (data == null) {
                    data = piece;
                } else {
                    CompositeByteBuf c = data instanceof CompositeByteBuf cc ? cc
                            : ctx.alloc().compositeBuffer(MAX_SLICES).addComponent(true, data);
                    data = c.addComponent(true, piece);
                }
                return;
            }
            // Too small a piece to keep its buffer for, or too many: the frame goes on in one copy of its length.
            ByteBuf whole = ctx.alloc().buffer(length);
            if (data != null) {
                whole.writeBytes(data);
                data.release();
            }
            data = whole;
            copying = true;
        }
        data.writeBytes(in, n);
    }

    /** The capacity of the buffer {@code b} is a view of: what a retained slice of it keeps in memory. */
    private static int rootCapacity(ByteBuf b) {
        ByteBuf root = b;
        while (root.unwrap() != null) {
            root = root.unwrap();
        }
        return root.capacity();
    }

    private void emitData(ChannelHandlerContext ctx) {
        StreamData d = new StreamData(data);
        data = null;
        copying = false;
        type = null;
        ctx.fireChannelRead(d);
    }

    private void emit(ChannelHandlerContext ctx) {
        Frame f = new Frame(type, payload);
        type = null;
        payload = null;
        budget.release(charged);
        charged = 0;
        ctx.fireChannelRead(f);
    }

    private void fail(ChannelHandlerContext ctx, Exception e) {
        if (failed) {
            return;
        }
        failed = true;
        releaseAll();
        ctx.fireExceptionCaught(e);
    }

    private void releaseAll() {
        budget.release(charged);
        charged = 0;
        payload = null;
        if (data != null) {
            data.release();
            data = null;
        }
        copying = false;
        while (!parked.isEmpty()) {
            parked.poll().release();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!failed && (type != null || headerGot > 0)) {
            fail(ctx, new ProtocolException(type != null
                    ? type + " frame cut short: " + got + " of " + length + " bytes arrived before the connection ended"
                    : "Frame header cut short: the connection ended inside the frame header"));
        }
        releaseAll();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseAll();
    }
}
