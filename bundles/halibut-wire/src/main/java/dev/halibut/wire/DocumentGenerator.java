package dev.halibut.wire;

import com.fasterxml.jackson.core.JsonGenerator;
import de.undercouch.bson4jackson.BsonFactory;
import de.undercouch.bson4jackson.BsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * A BSON generator for one whole document that hands the document over as one exact byte array ({@link #document()}
 * after {@link #close()}). bson4jackson's own generator copies the finished document to its stream through
 * {@code Channels.newChannel}: an interruptible channel with a staging array of its own, and then the stream's
 * array and its {@code toByteArray()}, three copies and three arrays per message, the channel failing on a thread
 * whose interrupt flag is set. This one copies the generator's buffer once, into the array it returns, and never
 * looks at the interrupt flag.
 */
final class DocumentGenerator extends BsonGenerator {

    private byte[] document;

    private DocumentGenerator(int jsonFeatures, int bsonFeatures) {
        super(jsonFeatures, bsonFeatures, OutputStream.nullOutputStream());
    }

    /** The finished document; {@code null} until {@link #close()}. */
    byte[] document() {
        return document;
    }

    /**
     * Ends the open documents (as bson4jackson's close does, with {@link JsonGenerator.Feature#AUTO_CLOSE_JSON_CONTENT}),
     * takes the document out of the buffer, then lets bson4jackson close with an empty buffer (nothing more is written).
     */
    @Override
    public void close() throws IOException {
        if (document == null && !isClosed()) {
            if (isEnabled(JsonGenerator.Feature.AUTO_CLOSE_JSON_CONTENT)) {
                while (_currentDocument != null) {
                    writeEndObject();
                }
            }
            ExactArray out = new ExactArray(_buffer.size());
            _buffer.writeTo(out);
            document = out.array();
            _buffer.clear();
        }
        super.close();
    }

    /** Makes generators with {@code factory}'s features and codec (the mapper), as its own would be made. */
    static final class Factory extends BsonFactory {
        private static final long serialVersionUID = 1L;

        DocumentGenerator documentGenerator() {
            if (isEnabled(BsonGenerator.Feature.ENABLE_STREAMING)) {
                // Streaming would write parts of the document to the generator's stream, which this one discards.
                throw new IllegalStateException("A DocumentGenerator cannot stream; disable ENABLE_STREAMING");
            }
            DocumentGenerator g = new DocumentGenerator(_generatorFeatures, _bsonGeneratorFeatures);
            if (getCodec() != null) {
                g.setCodec(getCodec());
            }
            if (_characterEscapes != null) {
                g.setCharacterEscapes(_characterEscapes);
            }
            return g;
        }
    }

    /** A channel into one array of the document's exact size. */
    private static final class ExactArray implements WritableByteChannel {
        private final byte[] array;
        private int position;

        ExactArray(int size) {
            array = new byte[size];
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int n = src.remaining();
            if (n > array.length - position) {
                throw new IOException("The BSON generator wrote more than the " + array.length
                        + " bytes it said its document has");
            }
            src.get(array, position, n);
            position += n;
            return n;
        }

        byte[] array() throws IOException {
            if (position != array.length) {
                throw new IOException("The BSON generator wrote " + position + " of the " + array.length
                        + " bytes it said its document has");
            }
            return array;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
