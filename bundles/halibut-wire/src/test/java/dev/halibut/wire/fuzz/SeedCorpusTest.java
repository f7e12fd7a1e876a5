package dev.halibut.wire.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.halibut.DataStream;
import dev.halibut.wire.Compressor;
import dev.halibut.wire.FrameReader;
import dev.halibut.wire.Identification;
import dev.halibut.wire.IncomingRequest;
import dev.halibut.wire.IncomingResponse;
import dev.halibut.wire.MessageCodec;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The committed seed corpus still holds what its names say: every {@code valid-*} input is accepted by
 * today's decoders (so the fuzzers start from real traffic). If an encoder changes, regenerate the corpus
 * with {@link SeedCorpus} (docs/testing.md).
 */
class SeedCorpusTest {

    private final MessageCodec codec = new MessageCodec();

    @Test
    void validFramesReadToTheirCleanEnd() throws Exception {
        for (Map.Entry<String, byte[]> seed : valid("FrameReaderFuzzTest", "readFrames").entrySet()) {
            FrameReader reader = new FrameReader(new ByteArrayInputStream(seed.getValue()),
                    FrameReaderFuzzTest.MAX_MESSAGE_SIZE);
            int frames = 0;
            try {
                while (true) {
                    reader.read();
                    frames++;
                }
            } catch (EOFException expected) {
                assertThat(frames).as(seed.getKey()).isPositive();
            }
        }
    }

    @Test
    void validIdentificationBlocksAreRead() throws Exception {
        for (Map.Entry<String, byte[]> seed : valid("IdentificationFuzzTest", "readIdentification").entrySet()) {
            ByteArrayInputStream in = new ByteArrayInputStream(seed.getValue());
            if (seed.getKey().contains("error")) {
                assertThatThrownBy(() -> Identification.readFrom(in)).as(seed.getKey())
                        .isInstanceOf(Identification.IdentificationRejectedException.class);
            } else {
                assertThat(Identification.readFrom(in)).as(seed.getKey()).isNotNull();
            }
        }
    }

    @Test
    void validCompressedPayloadsInflateWithinTheBound() throws Exception {
        try (Compressor c = new Compressor()) {
            for (Map.Entry<String, byte[]> seed : valid("CompressorFuzzTest", "inflate").entrySet()) {
                assertThat(c.decompress(seed.getValue(), CompressorFuzzTest.MAX_SIZE)).as(seed.getKey()).isNotNull();
            }
        }
    }

    @Test
    void validRequestsDecodeAndBindToTheirContract() throws Exception {
        Map<String, byte[]> seeds = valid("MessageCodecFuzzTest", "decodeRequest");
        for (Map.Entry<String, byte[]> seed : seeds.entrySet()) {
            assertThat(codec.decodeRequest(seed.getValue())).as(seed.getKey()).isNotNull();
        }
        IncomingRequest everything = codec.decodeRequest(seeds.get("valid-everything"));
        Object[] args = everything.bindArguments(FuzzContract.types().toArray(Type[]::new), received(everything.streams()
                .stream().map(h -> h.id()).toList()));
        assertThat(args).hasSameSizeAs(SeedCorpus.everythingArguments());
        assertThat(args[0]).isEqualTo(42);
        assertThat(args[9]).isEqualTo(SeedCorpus.everythingArguments()[9]);
    }

    @Test
    void validResponsesDecodeAndBindToTheTypeTheyWereSentAs() throws Exception {
        List<Type> types = FuzzContract.types();
        for (Map.Entry<String, byte[]> seed : valid("MessageCodecFuzzTest", "decodeResponse").entrySet()) {
            IncomingResponse r = codec.decodeResponse(seed.getValue());
            if (seed.getKey().startsWith("valid-result-")) {
                Type type = types.get(Integer.parseInt(seed.getKey().substring(13, 15)));
                assertThat(r.bindResult(type, received(r.streams().stream().map(h -> h.id()).toList())))
                        .as(seed.getKey()).isNotNull();
            }
        }
    }

    private static Map<UUID, DataStream> received(List<UUID> ids) {
        return ids.stream().collect(Collectors.toMap(id -> id,
                id -> DataStream.received(id, 0, InputStream::nullInputStream)));
    }

    private static Map<String, byte[]> valid(String testClass, String method) throws Exception {
        Path dir = Path.of(SeedCorpusTest.class.getResource(testClass + "Inputs/" + method).toURI());
        try (Stream<Path> files = Files.list(dir)) {
            Map<String, byte[]> seeds = new java.util.TreeMap<>();
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("valid-")).toList()) {
                seeds.put(f.getFileName().toString(), Files.readAllBytes(f));
            }
            assertThat(seeds).as(testClass + " valid seeds").isNotEmpty();
            return seeds;
        }
    }
}
