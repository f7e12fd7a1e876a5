package dev.halibut.wire.fuzz;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.undercouch.bson4jackson.BsonFactory;
import dev.halibut.DataStream;
import dev.halibut.wire.Compressor;
import dev.halibut.wire.ErrorKind;
import dev.halibut.wire.FrameType;
import dev.halibut.wire.FrameWriter;
import dev.halibut.wire.Identification;
import dev.halibut.wire.MessageCodec;
import dev.halibut.wire.RemoteError;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.zip.Deflater;

/**
 * Writes the fuzz tests' seed corpus: valid frames, envelopes and identification blocks made by the real
 * encoders ({@code valid-*}), and edge cases next to each limit ({@code edge-*}). The output is
 * deterministic (fixed ids, ordered maps), so regenerating it changes files only when an encoder changed.
 *
 * <pre>
 * mvn -B -q -pl bundles/halibut-wire test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=dev.halibut.wire.fuzz.SeedCorpus -Dexec.args=bundles/halibut-wire/src/test/resources
 * </pre>
 */
public final class SeedCorpus {

    static final UUID STREAM_A = UUID.fromString("00000000-0000-4000-8000-00000000000a");
    static final UUID STREAM_B = UUID.fromString("00000000-0000-4000-8000-00000000000b");

    private final Path resources;
    private final MessageCodec codec = new MessageCodec();
    private final ObjectMapper bson = new ObjectMapper(new BsonFactory());

    private SeedCorpus(Path resources) {
        this.resources = resources;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: SeedCorpus <test resources directory>");
        }
        SeedCorpus corpus = new SeedCorpus(Path.of(args[0]));
        corpus.frames();
        corpus.identification();
        corpus.compressed();
        corpus.requests();
        corpus.responses();
    }

    // --- MessageCodecFuzzTest ---

    /** Sample arguments for {@link FuzzContract#everything}, in parameter order. */
    static Object[] everythingArguments() {
        DataStream a = DataStream.received(STREAM_A, 3, () -> new ByteArrayInputStream(new byte[] {1, 2, 3}));
        DataStream b = DataStream.received(STREAM_B, 0, InputStream::nullInputStream);
        Map<String, Double> weights = new TreeMap<>(Map.of("w", 0.5, "z", -1e300));
        FuzzContract.Line line = new FuzzContract.Line("line", List.of(1, -2, Integer.MAX_VALUE), weights);
        FuzzContract.Settings settings = new FuzzContract.Settings();
        settings.setLabel("outer");
        settings.setCount(Long.MIN_VALUE);
        settings.setData(new byte[] {0, (byte) 0xFF});
        settings.setColour(FuzzContract.Colour.BLUE);
        FuzzContract.Settings child = new FuzzContract.Settings();
        child.setLabel("inner");
        settings.setChild(child);
        Map<String, Object> anything = new LinkedHashMap<>();
        anything.put("list", List.of(1, "two", 3.0, true));
        anything.put("nested", new TreeMap<>(Map.of("k", "v")));
        return new Object[] {42, 1L << 40, 2.5, true, 'x', "héllo ✓", new byte[] {1, 2, 3}, new int[] {7, 8},
                FuzzContract.Colour.GREEN, line,
                new FuzzContract.Parcel("parcel", a, List.of(b, a), Optional.of(Instant.parse("2026-01-02T03:04:05Z"))),
                settings, List.of(line, line), new TreeMap<>(Map.of("a", 1L, "b", Long.MAX_VALUE)),
                EnumSet.of(FuzzContract.Colour.RED, FuzzContract.Colour.BLUE), Optional.of("present"),
                Instant.parse("2026-11-24T12:00:00.123456789Z"), Duration.ofSeconds(90, 5),
                LocalDate.of(2026, 2, 28), UUID.fromString("123e4567-e89b-12d3-a456-426614174000"),
                URI.create("poll://subscription/"), new BigDecimal("12.50"),
                new BigInteger("123456789012345678901234567890"), anything, b, new FuzzContract.Circle(1.5)};
    }

    private void requests() throws IOException {
        Path dir = dir("MessageCodecFuzzTest", "decodeRequest");
        Type[] types = FuzzContract.types().toArray(Type[]::new);
        Object[] args = everythingArguments();
        args[args.length - 1] = null; // a Shape names its class, which binding always refuses (edge-class-name-in-data)
        write(dir, "valid-everything", codec.encodeRequest("request-1", "FuzzContract", "everything", types, args).bson());
        write(dir, "valid-calculator-add", codec.encodeRequest("2", "Calculator", "add",
                new Type[] {int.class, int.class}, new Object[] {1, 2}).bson());
        write(dir, "valid-no-parameters", codec.encodeRequest("3", "Clock", "now", new Type[0], new Object[0]).bson());
        write(dir, "valid-null-argument", codec.encodeRequest("4", "Greeter", "greet",
                new Type[] {String.class}, new Object[] {null}).bson());

        ObjectNode deep = request("5");
        ArrayNode a = deep.withArray("params");
        for (int i = 0; i < MessageCodec.MAX_NESTING_DEPTH; i++) {
            a = a.addArray();
        }
        write(dir, "edge-nested-past-the-limit", bson.writeValueAsBytes(deep));
        ObjectNode className = request("6");
        className.withArray("params").addObject().put("@class", "java.lang.ProcessBuilder").put("radius", 1.0);
        write(dir, "edge-class-name-in-data", bson.writeValueAsBytes(className));
        ObjectNode manyStreams = request("7");
        ArrayNode streams = manyStreams.putArray("streams");
        for (int i = 0; i <= MessageCodec.MAX_STREAMS; i++) {
            streams.addObject().put("id", new UUID(0, i).toString()).put("length", i);
        }
        write(dir, "edge-one-stream-too-many", bson.writeValueAsBytes(manyStreams));
        ObjectNode twice = request("8");
        twice.putArray("streams").add(streamRef(STREAM_A, 1)).add(streamRef(STREAM_A, 1));
        twice.withArray("params").add(streamRef(STREAM_A, 1));
        write(dir, "edge-stream-listed-twice", bson.writeValueAsBytes(twice));
        write(dir, "edge-id-one-too-long", bson.writeValueAsBytes(request("x".repeat(MessageCodec.MAX_ID_LENGTH + 1))));
        ObjectNode mismatch = request("9");
        mismatch.withArray("params").add(1);
        mismatch.putArray("paramTypes").add("int").add("int");
        write(dir, "edge-param-types-mismatch", bson.writeValueAsBytes(mismatch));
        ObjectNode unlisted = request("10");
        unlisted.withArray("params").add(streamRef(STREAM_B, 5));
        write(dir, "edge-stream-not-listed", bson.writeValueAsBytes(unlisted));
    }

    private void responses() throws IOException {
        Path dir = dir("MessageCodecFuzzTest", "decodeResponse");
        Type[] types = FuzzContract.types().toArray(Type[]::new);
        Object[] values = everythingArguments();
        // One response per declared type: each result binds at least once as what it was sent as, except a
        // Shape, whose class name in the data binding always refuses.
        for (int i = 0; i < types.length; i++) {
            String kind = types[i] == FuzzContract.Shape.class ? "edge" : "valid";
            write(dir, String.format("%s-result-%02d-%s", kind, i, simpleName(types[i])),
                    codec.encodeResponse("r" + i, types[i], values[i]).bson());
        }
        write(dir, "valid-void", codec.encodeResponse("v", void.class, null).bson());
        write(dir, "valid-error-invocation", codec.encodeError("e1", new RemoteError(ErrorKind.INVOCATION,
                "boom", "java.lang.IllegalStateException", "java.lang.IllegalStateException: boom\n\tat x.y(Z.java:1)")));
        write(dir, "valid-error-service-not-found", codec.encodeError("e2",
                new RemoteError(ErrorKind.SERVICE_NOT_FOUND, "no service Nope", null, null)));
        ObjectNode both = bson.createObjectNode().put("id", "b");
        both.put("result", 1);
        both.putObject("error").put("kind", "from-a-newer-peer").put("message", "m");
        write(dir, "edge-result-and-unknown-error-kind", bson.writeValueAsBytes(both));
        ObjectNode notDocument = bson.createObjectNode().put("id", "n").put("error", "not a document");
        write(dir, "edge-error-not-a-document", bson.writeValueAsBytes(notDocument));
        ObjectNode badStream = bson.createObjectNode().put("id", "s");
        badStream.putArray("streams").addObject().put("id", "not-a-uuid").put("length", -1);
        write(dir, "edge-bad-stream-entry", bson.writeValueAsBytes(badStream));
    }

    private ObjectNode request(String id) {
        ObjectNode doc = bson.createObjectNode();
        doc.put("id", id).put("service", "FuzzContract").put("method", "everything");
        doc.putArray("params");
        return doc;
    }

    private ObjectNode streamRef(UUID id, long length) {
        return bson.createObjectNode().put("id", id.toString()).put("length", length);
    }

    // --- CompressorFuzzTest ---

    private void compressed() throws IOException {
        Path dir = dir("CompressorFuzzTest", "inflate");
        byte[] request = codec.encodeRequest("request-1", "FuzzContract", "everything",
                FuzzContract.types().toArray(Type[]::new), everythingArguments()).bson();
        try (Compressor c = new Compressor()) {
            byte[] packed = c.compress(request);
            write(dir, "valid-request", packed);
            write(dir, "valid-empty", c.compress(new byte[0]));
            write(dir, "valid-exactly-the-bound", c.compress(new byte[CompressorFuzzTest.MAX_SIZE]));
            write(dir, "edge-one-past-the-bound", c.compress(new byte[CompressorFuzzTest.MAX_SIZE + 1]));
            write(dir, "edge-bomb", c.compress(new byte[1 << 20]));
            write(dir, "edge-truncated", Arrays.copyOf(packed, packed.length - 5));
            write(dir, "edge-trailing-bytes", Arrays.copyOf(packed, packed.length + 3));
        }
        write(dir, "valid-stored-blocks", deflate(request, Deflater.NO_COMPRESSION, false, null));
        write(dir, "edge-preset-dictionary", deflate(request, Deflater.BEST_COMPRESSION, false,
                "FuzzContract everything".getBytes(StandardCharsets.US_ASCII)));
        write(dir, "edge-raw-deflate-without-zlib-header", deflate(request, Deflater.DEFAULT_COMPRESSION, true, null));
    }

    private static byte[] deflate(byte[] data, int level, boolean nowrap, byte[] dictionary) {
        Deflater d = new Deflater(level, nowrap);
        try {
            if (dictionary != null) {
                d.setDictionary(dictionary);
            }
            d.setInput(data);
            d.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            while (!d.finished()) {
                out.write(buf, 0, d.deflate(buf));
            }
            return out.toByteArray();
        } finally {
            d.end();
        }
    }

    // --- FrameReaderFuzzTest ---

    private void frames() throws IOException {
        Path dir = dir("FrameReaderFuzzTest", "readFrames");
        byte[] request;
        byte[] response;
        try (Compressor c = new Compressor()) {
            request = c.compress(codec.encodeRequest("1", "Calculator", "add", new Type[] {int.class, int.class},
                    new Object[] {1, 2}).bson());
            response = c.compress(codec.encodeResponse("1", int.class, 3).bson());
        }
        write(dir, "valid-listening-conversation", frames(w -> {
            w.write(FrameType.REQUEST, request);
            w.write(FrameType.RESPONSE, response);
            w.write(FrameType.NEXT);
            w.write(FrameType.PROCEED);
            w.write(FrameType.REQUEST, request);
            w.write(FrameType.RESPONSE, response);
            w.write(FrameType.END);
        }));
        write(dir, "valid-request-with-streams", frames(w -> {
            w.write(FrameType.REQUEST, request);
            w.write(FrameType.STREAM_DATA, new byte[] {1, 2, 3});
            w.write(FrameType.STREAM_DATA, new byte[] {4});
            w.write(FrameType.STREAM_END, streamEnd(STREAM_A, 4));
            w.write(FrameType.STREAM_END, streamEnd(STREAM_B, 0));
        }));
        write(dir, "valid-stream-abort", frames(w -> {
            w.write(FrameType.STREAM_DATA, new byte[] {9});
            w.write(FrameType.STREAM_ABORT, "stream could not be sent: disk gone ✗".getBytes(StandardCharsets.UTF_8));
        }));
        write(dir, "valid-longest-stream-abort", frames(w -> w.write(FrameType.STREAM_ABORT, new byte[FrameType.MAX_REASON])));
        write(dir, "edge-length-4-gib", header(FrameType.REQUEST.code(), 0xFFFF_FFFFL));
        write(dir, "edge-message-one-past-the-limit", header(FrameType.RESPONSE.code(), FrameReaderFuzzTest.MAX_MESSAGE_SIZE + 1L));
        write(dir, "edge-message-at-the-limit-cut-short", concat(header(FrameType.REQUEST.code(),
                FrameReaderFuzzTest.MAX_MESSAGE_SIZE), new byte[] {1, 2, 3}));
        write(dir, "edge-stream-chunk-one-too-long", header(FrameType.STREAM_DATA.code(), FrameType.MAX_STREAM_CHUNK + 1L));
        write(dir, "edge-stream-end-23-bytes", concat(header(FrameType.STREAM_END.code(), 23), new byte[23]));
        write(dir, "edge-stream-abort-one-too-long", concat(header(FrameType.STREAM_ABORT.code(), FrameType.MAX_REASON + 1L),
                new byte[FrameType.MAX_REASON + 1]));
        write(dir, "edge-control-frame-with-payload", concat(header(FrameType.NEXT.code(), 1), new byte[] {0}));
        write(dir, "edge-unknown-type", header(0x7F, 0));
        write(dir, "edge-header-cut-short", new byte[] {(byte) FrameType.REQUEST.code(), 0, 0});
    }

    private interface FrameScript {
        void write(FrameWriter w) throws IOException;
    }

    private static byte[] frames(FrameScript script) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        script.write(new FrameWriter(out));
        return out.toByteArray();
    }

    private static byte[] header(int type, long length) {
        return new byte[] {(byte) type, (byte) (length >>> 24), (byte) (length >>> 16), (byte) (length >>> 8), (byte) length};
    }

    private static byte[] streamEnd(UUID id, long length) {
        return ByteBuffer.allocate(FrameType.STREAM_END_SIZE).putLong(id.getMostSignificantBits())
                .putLong(id.getLeastSignificantBits()).putLong(length).array();
    }

    // --- IdentificationFuzzTest ---

    private void identification() throws IOException {
        Path dir = dir("IdentificationFuzzTest", "readIdentification");
        write(dir, "valid-client", block(Identification.client()));
        write(dir, "valid-server", block(Identification.server()));
        write(dir, "valid-subscriber", block(Identification.subscriber(URI.create("poll://agent-7/"))));
        write(dir, "valid-client-then-a-frame", concat(block(Identification.client()), header(FrameType.NEXT.code(), 0)));
        write(dir, "valid-with-headers", ascii("HALIBUT-CLIENT 1\r\nFeature: streams\r\nX-Later: yes\r\n\r\n"));
        ByteArrayOutputStream error = new ByteArrayOutputStream();
        Identification.writeError(error, "untrusted-certificate", "certificate 0123456789ABCDEF0123456789ABCDEF01234567 is not trusted");
        write(dir, "valid-error-answer", error.toByteArray());
        write(dir, "edge-other-version", ascii("HALIBUT-CLIENT 2\r\n\r\n"));
        write(dir, "edge-unknown-role", ascii("HALIBUT-PEER 1\r\n\r\n"));
        write(dir, "edge-lf-only", ascii("HALIBUT-CLIENT 1\n\n"));
        write(dir, "edge-subscriber-not-poll", ascii("HALIBUT-SUBSCRIBER 1 https://agent-7/\r\n\r\n"));
        write(dir, "edge-no-empty-line", ascii("HALIBUT-CLIENT 1\r\n"));
        String longest = "HALIBUT-SUBSCRIBER 1 poll://" + "a".repeat(Identification.MAX_LINE_LENGTH - 2 - 29) + "/";
        write(dir, "valid-longest-line", ascii(longest + "\r\n\r\n"));
        write(dir, "edge-line-one-too-long", ascii(longest + "a\r\n\r\n"));
        write(dir, "edge-too-many-lines", ascii("HALIBUT-CLIENT 1\r\n" + "H: v\r\n".repeat(Identification.MAX_LINES) + "\r\n"));
        write(dir, "edge-non-ascii", concat(ascii("HALIBUT-CLIENT 1"), new byte[] {(byte) 0xC3, (byte) 0xA9, '\r', '\n', '\r', '\n'}));
    }

    private static byte[] block(Identification id) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        id.writeTo(out);
        return out.toByteArray();
    }

    // --- files ---

    private Path dir(String testClass, String method) throws IOException {
        Path dir = resources.resolve(SeedCorpus.class.getPackageName().replace('.', '/'))
                .resolve(testClass + "Inputs").resolve(method);
        Files.createDirectories(dir);
        return dir;
    }

    private static void write(Path dir, String name, byte[] content) throws IOException {
        Files.write(dir.resolve(name), content);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static String simpleName(Type t) {
        String name = t.getTypeName();
        name = name.replaceAll("<.*", "").replaceAll(".*[.$]", "").replace("[]", "Array");
        return name;
    }
}
