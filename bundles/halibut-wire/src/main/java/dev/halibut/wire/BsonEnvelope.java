package dev.halibut.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The top-level fields of a message envelope, read straight from its BSON bytes for the common message: only
 * plain element types (double, string, embedded document, array, boolean, null, int32, int64), every name and
 * string ASCII, no {@code streams} and no {@code error} field. Parsing such an envelope into a {@code JsonNode} tree
 * first (bson4jackson's parser decodes every name and string through a {@code CharsetDecoder}) was about half the
 * Java work of encoding and decoding a small call's two messages. The values to bind (arguments, result) stay in
 * the same {@code JsonNode}s bson4jackson's tokens make through Jackson's tree deserializer (int32 an
 * {@code IntNode}, int64 a {@code LongNode}, double a {@code DoubleNode}, a repeated name replaced by its last value),
 * built straight from the bytes, so that they bind to their declared types exactly as before.
 *
 * <p>{@link #scan} accepts exactly the documents that bson4jackson would parse without error (after
 * {@link BsonLengths#check}: ASCII is valid UTF-8, and the plain types cannot fail), so that a message is refused
 * or accepted as before; any other document is left to the tree ({@code null}), as are the fields whose checks
 * are involved (stream lists, errors). Duplicate names resolve as the tree resolves them: the last one counts.
 */
final class BsonEnvelope {

    private static final byte[] ID = ascii("id");
    private static final byte[] SERVICE = ascii("service");
    private static final byte[] METHOD = ascii("method");
    private static final byte[] PARAMS = ascii("params");
    private static final byte[] PARAM_TYPES = ascii("paramTypes");
    private static final byte[] RESULT = ascii("result");
    private static final byte[] STREAMS = ascii("streams");
    private static final byte[] ERROR = ascii("error");

    private static final int STRING = 0x02;
    private static final int DOCUMENT = 0x03;
    private static final int ARRAY = 0x04;
    private static final int NULL = 0x0A;

    private final byte[] bson;
    /** Per known field: the type of its last occurrence (0: absent) and where that value's bytes start. */
    private int idType;
    private int idAt;
    private int serviceType;
    private int serviceAt;
    private int methodType;
    private int methodAt;
    private int paramsType;
    private int paramsAt;
    private int paramTypesType;
    private int paramTypesAt;
    private int resultType;
    private int resultAt;

    private BsonEnvelope(byte[] bson) {
        this.bson = bson;
    }

    /**
     * The envelope's fields, or {@code null} if the document is not one this class reads (see above): then the
     * tree must. {@code bson} must have passed {@link BsonLengths#check}.
     */
    static BsonEnvelope scan(byte[] bson) {
        BsonEnvelope e = new BsonEnvelope(bson);
        return e.walk() ? e : null;
    }

    /** Goes over every element once; false as soon as one is not plain. */
    private boolean walk() {
        int depth = 0;
        int pos = 4;
        while (true) {
            int type = bson[pos++] & 0xFF;
            if (type == 0) {
                if (depth == 0) {
                    return true;
                }
                depth--;
                continue;
            }
            int nameStart = pos;
            while (bson[pos] != 0) {
                if (bson[pos] < 0) { // not ASCII: the tree (and its strict UTF-8 decoder) decides
                    return false;
                }
                pos++;
            }
            int nameEnd = pos++;
            if (depth == 0 && !top(type, nameStart, nameEnd, pos)) {
                return false;
            }
            switch (type) {
                case 0x01, 0x12 -> pos += 8; // double, int64
                case 0x10 -> pos += 4; // int32
                case 0x08 -> pos += 1; // boolean
                case NULL -> { }
                case STRING -> {
                    int length = int32(bson, pos);
                    for (int i = pos + 4, end = pos + 4 + length - 1; i < end; i++) {
                        if (bson[i] < 0) {
                            return false;
                        }
                    }
                    pos += 4 + length;
                }
                case DOCUMENT, ARRAY -> {
                    depth++;
                    pos += 4;
                }
                default -> {
                    return false;
                }
            }
        }
    }

    /** Notes a top-level element whose value starts at {@code at}; false if the envelope is not for this class. */
    private boolean top(int type, int nameStart, int nameEnd, int at) {
        if (is(nameStart, nameEnd, ID)) {
            idType = type;
            idAt = at;
        } else if (is(nameStart, nameEnd, SERVICE)) {
            serviceType = type;
            serviceAt = at;
        } else if (is(nameStart, nameEnd, METHOD)) {
            methodType = type;
            methodAt = at;
        } else if (is(nameStart, nameEnd, PARAMS)) {
            paramsType = type;
            paramsAt = at;
        } else if (is(nameStart, nameEnd, PARAM_TYPES)) {
            paramTypesType = type;
            paramTypesAt = at;
        } else if (is(nameStart, nameEnd, RESULT)) {
            resultType = type;
            resultAt = at;
        } else if (is(nameStart, nameEnd, STREAMS) || is(nameStart, nameEnd, ERROR)) {
            return false;
        }
        return true;
    }

    /** The request envelope, checked as {@link MessageCodec#decodeRequest} checks a tree, in the same order. */
    IncomingRequest request(MessageCodec codec) throws ProtocolException {
        String id = requiredId("request");
        String service = requiredText(serviceType, serviceAt, "service", "request");
        String method = requiredText(methodType, methodAt, "method", "request");
        List<JsonNode> params = new ArrayList<>();
        if (present(paramsType)) {
            if (paramsType != ARRAY) {
                throw new ProtocolException("Request " + id + ": 'params' is not an array");
            }
            elements(paramsAt, params);
        }
        List<String> typeNames = new ArrayList<>();
        if (present(paramTypesType)) {
            if (paramTypesType != ARRAY) {
                throw new ProtocolException("Request " + id + ": 'paramTypes' is not an array");
            }
            if (!strings(paramTypesAt, typeNames)) {
                throw new ProtocolException("Request " + id + ": 'paramTypes' holds a non-string");
            }
            if (!typeNames.isEmpty() && typeNames.size() != params.size()) {
                throw new ProtocolException("Request " + id + ": " + typeNames.size() + " paramTypes for "
                        + params.size() + " params");
            }
        }
        return new IncomingRequest(codec, id, service, method, typeNames, params, List.of());
    }

    /** The response envelope (never an error: those go to the tree), checked as the tree's decoding checks it. */
    IncomingResponse response(MessageCodec codec) throws ProtocolException {
        String id = requiredId("response");
        JsonNode result = resultType == 0 ? NullNode.getInstance() : value(resultType, resultAt);
        return new IncomingResponse(codec, id, result, null, List.of());
    }

    /** As the tree: absent and BSON null are the same. */
    private static boolean present(int type) {
        return type != 0 && type != NULL;
    }

    private String requiredId(String what) throws ProtocolException {
        String id = requiredText(idType, idAt, "id", what);
        if (id.length() > MessageCodec.MAX_ID_LENGTH) {
            throw new ProtocolException("The " + what + " id is longer than " + MessageCodec.MAX_ID_LENGTH + " characters");
        }
        return id;
    }

    private String requiredText(int type, int at, String field, String what) throws ProtocolException {
        if (type != STRING) {
            throw new ProtocolException("The " + what + " has no '" + field + "' string");
        }
        return string(at);
    }

    /** The (ASCII) string whose length field is at {@code at}. */
    private String string(int at) {
        return new String(bson, at + 4, int32(bson, at) - 1, StandardCharsets.ISO_8859_1);
    }

    /** Adds the values of the document or array whose length field is at {@code at} to {@code values}, in order. */
    private void elements(int at, List<JsonNode> values) {
        int end = at + int32(bson, at) - 1; // its terminating zero
        int pos = at + 4;
        while (pos < end) {
            int type = bson[pos++] & 0xFF;
            pos = afterName(pos);
            values.add(value(type, pos));
            pos = skip(type, pos);
        }
    }

    /**
     * Adds the strings of the array whose length field is at {@code at} to {@code strings}, in order; false (at
     * once) if an element is not a string.
     */
    private boolean strings(int at, List<String> strings) {
        int end = at + int32(bson, at) - 1;
        int pos = at + 4;
        while (pos < end) {
            int type = bson[pos++] & 0xFF;
            pos = afterName(pos);
            if (type != STRING) {
                return false;
            }
            strings.add(string(pos));
            pos = skip(type, pos);
        }
        return true;
    }

    /**
     * The tree of the value of {@code type} at {@code pos}, as Jackson's tree deserializer makes it from bson4jackson's
     * tokens. Recursive, bounded by the nesting {@link BsonLengths} allows ({@link MessageCodec#MAX_NESTING_DEPTH}).
     */
    private JsonNode value(int type, int pos) {
        return switch (type) {
            case 0x01 -> DoubleNode.valueOf(Double.longBitsToDouble(int64(pos)));
            case STRING -> TextNode.valueOf(string(pos));
            case DOCUMENT -> {
                ObjectNode object = JsonNodeFactory.instance.objectNode();
                int end = pos + int32(bson, pos) - 1;
                int p = pos + 4;
                while (p < end) {
                    int t = bson[p++] & 0xFF;
                    int nameStart = p;
                    p = afterName(p);
                    // As the tree deserializer: a repeated name keeps its place and takes the last value.
                    object.replace(new String(bson, nameStart, p - 1 - nameStart, StandardCharsets.ISO_8859_1),
                            value(t, p));
                    p = skip(t, p);
                }
                yield object;
            }
            case ARRAY -> {
                List<JsonNode> items = new ArrayList<>();
                elements(pos, items);
                yield JsonNodeFactory.instance.arrayNode(items.size()).addAll(items);
            }
            case 0x08 -> BooleanNode.valueOf(bson[pos] != 0);
            case NULL -> NullNode.getInstance();
            case 0x10 -> IntNode.valueOf(int32(bson, pos));
            case 0x12 -> LongNode.valueOf(int64(pos));
            default -> throw new IllegalStateException("BSON element type " + type + " passed the envelope scan");
        };
    }

    /** The position after the value of {@code type} at {@code pos} (only the plain types get here). */
    private int skip(int type, int pos) {
        return switch (type) {
            case 0x01, 0x12 -> pos + 8;
            case 0x10 -> pos + 4;
            case 0x08 -> pos + 1;
            case NULL -> pos;
            case STRING -> pos + 4 + int32(bson, pos);
            case DOCUMENT, ARRAY -> pos + int32(bson, pos);
            default -> throw new IllegalStateException("BSON element type " + type + " passed the envelope scan");
        };
    }

    /** The position after the zero-terminated name at {@code pos}. */
    private int afterName(int pos) {
        while (bson[pos] != 0) {
            pos++;
        }
        return pos + 1;
    }

    private long int64(int pos) {
        return (int32(bson, pos) & 0xFFFFFFFFL) | (long) int32(bson, pos + 4) << 32;
    }

    private boolean is(int start, int end, byte[] name) {
        if (end - start != name.length) {
            return false;
        }
        for (int i = 0; i < name.length; i++) {
            if (bson[start + i] != name[i]) {
                return false;
            }
        }
        return true;
    }

    private static int int32(byte[] b, int pos) {
        return (b[pos] & 0xFF) | (b[pos + 1] & 0xFF) << 8 | (b[pos + 2] & 0xFF) << 16 | (b[pos + 3] & 0xFF) << 24;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
