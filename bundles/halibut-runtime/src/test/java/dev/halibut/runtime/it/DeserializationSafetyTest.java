package dev.halibut.runtime.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import de.undercouch.bson4jackson.BsonFactory;
import dev.halibut.ServiceEndPoint;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.it.canary.CanaryEvidence;
import dev.halibut.runtime.it.canary.Shapes;
import dev.halibut.wire.Compressor;
import dev.halibut.wire.ErrorKind;
import dev.halibut.wire.IncomingResponse;
import dev.halibut.wire.MessageCodec;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.lang.reflect.Method;
import java.lang.reflect.Type;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Known Jackson polymorphic-typing gadget payloads and type-confusion payloads, encoded as BSON and sent in
 * real REQUEST frames over a trusted TLS connection to a listening runtime whose contract declares
 * {@code Object}, {@code Map}, {@code List}, {@code Object[]}, {@code Serializable}, interface, abstract,
 * class-name-typed, concrete and {@code Class} parameters. Nothing outside the declared types is ever
 * instantiated: the canary class named in the payloads is never initialised, constructed or set, the
 * service sees only plain JSON-shaped values (maps, lists, strings, numbers, booleans) or its declared
 * concrete types, every other call fails with a {@code bad-request} error, and the connection and the
 * runtime go on serving.
 */
class DeserializationSafetyTest {

    private static final String CANARY = "dev.halibut.runtime.it.canary.Canary";

    /** Every parameter shape a contract may declare. */
    public interface Intake {
        String object(Object value);

        String map(Map<String, Object> value);

        String list(List<Object> value);

        String array(Object[] value);

        String serializable(Serializable value);

        String shape(Shapes.Shape value);

        String abstractShape(Shapes.AbstractShape value);

        String tagged(Shapes.Tagged value);

        String minimal(Shapes.MinimalTagged value);

        String point(Shapes.Point value);

        String holder(Shapes.Holder value);

        String type(Class<?> value);
    }

    /** Records every class it was handed, all the way down. */
    static final class IntakeService implements Intake {
        final Set<Class<?>> seen = ConcurrentHashMap.newKeySet();
        final AtomicInteger calls = new AtomicInteger();

        private String record(Object value) {
            calls.incrementAndGet();
            walk(value);
            return "ok";
        }

        private void walk(Object v) {
            if (v == null) {
                return;
            }
            seen.add(v.getClass());
            if (v instanceof Map<?, ?> m) {
                m.forEach((k, x) -> {
                    walk(k);
                    walk(x);
                });
            } else if (v instanceof Collection<?> c) {
                c.forEach(this::walk);
            } else if (v instanceof Object[] a) {
                for (Object x : a) {
                    walk(x);
                }
            } else if (v instanceof Shapes.Holder h) {
                walk(h.anything);
                walk(h.typedByClassName);
                walk(h.point);
            }
        }

        @Override
        public String object(Object value) {
            return record(value);
        }

        @Override
        public String map(Map<String, Object> value) {
            return record(value);
        }

        @Override
        public String list(List<Object> value) {
            return record(value);
        }

        @Override
        public String array(Object[] value) {
            return record(value);
        }

        @Override
        public String serializable(Serializable value) {
            return record(value);
        }

        @Override
        public String shape(Shapes.Shape value) {
            return record(value);
        }

        @Override
        public String abstractShape(Shapes.AbstractShape value) {
            return record(value);
        }

        @Override
        public String tagged(Shapes.Tagged value) {
            return record(value);
        }

        @Override
        public String minimal(Shapes.MinimalTagged value) {
            return record(value);
        }

        @Override
        public String point(Shapes.Point value) {
            return record(value);
        }

        @Override
        public String holder(Shapes.Holder value) {
            return record(value);
        }

        @Override
        public String type(Class<?> value) {
            return record(value);
        }
    }

    /** The only classes the service may ever be handed. */
    private static final Set<Class<?>> PLAIN = Set.of(LinkedHashMap.class, ArrayList.class, String.class,
            Integer.class, Long.class, Double.class, Boolean.class, byte[].class, Object[].class,
            Shapes.Point.class, Shapes.Holder.class);

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final ObjectMapper BSON = new ObjectMapper(new BsonFactory());
    private static final IntakeService SERVICE = new IntakeService();
    private static final CalculatorService CALCULATOR = new CalculatorService();
    private static HalibutRuntime octopus;
    private static HalibutRuntime tentacle;
    private static int port;

    @BeforeAll
    static void start() {
        octopus = HalibutRuntime.builder()
                .certificate(TestIdentities.OCTOPUS.certificate(), TestIdentities.OCTOPUS.privateKey()).build();
        tentacle = HalibutRuntime.builder()
                .certificate(TestIdentities.TENTACLE.certificate(), TestIdentities.TENTACLE.privateKey())
                .service(Intake.class, SERVICE).service(Calculator.class, CALCULATOR)
                .trust(octopus.thumbprint()).build();
        port = tentacle.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        octopus.close();
        tentacle.close();
        ThreadLeaks.assertNoHalibutThreads();
    }

    /** The gadget payloads: class-name type ids in every style Jackson has used, and known gadget classes. */
    private static List<JsonNode> gadgets() {
        List<JsonNode> g = new ArrayList<>();
        for (String typeId : List.of("@class", "@type", "@c", "@id", "type")) {
            g.add(JSON.objectNode().put(typeId, CANARY).put("name", "x").put("command", "/bin/false"));
        }
        g.add(JSON.objectNode().put("@c", ".Canary").put("name", "x"));
        // Default typing, WRAPPER_ARRAY and WRAPPER_OBJECT.
        g.add(JSON.arrayNode().add(CANARY).add(JSON.objectNode().put("name", "x")));
        g.add(JSON.objectNode().set(CANARY, JSON.objectNode().put("name", "x")));
        // Known gadget classes (JNDI lookups and remote configuration; addresses on loopback port 1, closed).
        g.add(JSON.objectNode().put("@class", "com.sun.rowset.JdbcRowSetImpl")
                .put("dataSourceName", "ldap://127.0.0.1:1/canary").put("autoCommit", true));
        g.add(JSON.arrayNode().add("com.sun.rowset.JdbcRowSetImpl")
                .add(JSON.objectNode().put("dataSourceName", "ldap://127.0.0.1:1/canary").put("autoCommit", true)));
        g.add(JSON.arrayNode().add("org.springframework.context.support.ClassPathXmlApplicationContext")
                .add("http://127.0.0.1:1/canary.xml"));
        g.add(JSON.objectNode().put("@type", "org.springframework.context.support.FileSystemXmlApplicationContext")
                .put("configLocation", "http://127.0.0.1:1/canary.xml"));
        g.add(JSON.arrayNode().add("ch.qos.logback.core.db.JNDIConnectionSource")
                .add(JSON.objectNode().put("jndiLocation", "ldap://127.0.0.1:1/canary")));
        g.add(JSON.arrayNode().add("org.apache.commons.collections.functors.InvokerTransformer")
                .add(JSON.objectNode().put("iMethodName", "exec")));
        // Type confusion: JDK types whose construction does I/O (DNS, URL handlers) or runs things.
        g.add(JSON.arrayNode().add("java.net.URL").add("http://127.0.0.1:1/canary"));
        g.add(JSON.objectNode().put("@class", "java.net.InetAddress").put("hostName", "canary.invalid"));
        g.add(JSON.arrayNode().add("java.net.InetSocketAddress").add("canary.invalid:1"));
        g.add(JSON.objectNode().put("@class", "java.lang.ProcessBuilder").set("command", JSON.arrayNode().add("/bin/false")));
        g.add(JSON.arrayNode().add("java.lang.Class").add(CANARY));
        // Nested deep inside otherwise plain data, and as an array element.
        g.add(JSON.objectNode().set("outer", JSON.objectNode().set("inner", JSON.arrayNode().add(1)
                .add(JSON.arrayNode().add(CANARY).add(JSON.objectNode().put("name", "deep"))))));
        g.add(JSON.arrayNode().add(JSON.objectNode().put("@class", CANARY)).add(JSON.objectNode().put("@class", CANARY)));
        // Aimed at the fields of a concrete type: an untyped field, a field typed by class name, a record field.
        g.add(JSON.objectNode().<ObjectNode>set("anything", JSON.objectNode().put("@class", CANARY).put("name", "x"))
                .<ObjectNode>set("typedByClassName", JSON.objectNode().put("@class", CANARY).put("name", "x"))
                .set("point", JSON.objectNode().put("@class", CANARY).put("x", 1).put("y", 2)));
        g.add(JSON.objectNode().set("typedByClassName", JSON.objectNode().put("@class", "java.net.URL")
                .put("value", "http://127.0.0.1:1/")));
        // A plain class name where a Class or a string goes.
        g.add(JSON.textNode(CANARY));
        return g;
    }

    @Test
    void gadgetPayloadsForEveryDeclaredParameterTypeInstantiateNothingOutsideTheContract() throws Exception {
        Map<String, Map<String, Integer>> outcomes = new LinkedHashMap<>();
        int requests = 0;
        int callsBefore = SERVICE.calls.get();
        try (SSLSocket s = identifiedClient(); Compressor compressor = new Compressor()) {
            OutputStream out = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            for (Method m : Intake.class.getMethods()) {
                for (JsonNode payload : gadgets()) {
                    for (boolean withTypeNames : new boolean[] {true, false}) {
                        String id = "g" + (++requests);
                        out.write(requestFrame(compressor, id, m, payload, withTypeNames));
                        out.flush();
                        IncomingResponse r = readResponse(in, compressor);
                        assertThat(r.id()).isEqualTo(id);
                        String outcome;
                        if (r.error() == null) {
                            assertThat(r.bindResult(String.class)).isEqualTo("ok");
                            outcome = "served";
                        } else {
                            // A clear error, of the kind a binding failure has, naming the parameter's declared type.
                            assertThat(r.error().kind()).as("%s %s", m.getName(), payload).isEqualTo(ErrorKind.BAD_REQUEST);
                            assertThat(r.error().message()).contains("Intake." + m.getName())
                                    .contains("do not fit its parameters");
                            outcome = "bad-request";
                        }
                        outcomes.computeIfAbsent(m.getName(), k -> new LinkedHashMap<>()).merge(outcome, 1, Integer::sum);
                        assertThat(CanaryEvidence.total()).as("canary touched by %s(%s)", m.getName(), payload).isZero();
                    }
                }
            }
        }
        System.out.println(requests + " gadget requests on one connection: " + outcomes);
        assertThat(SERVICE.calls.get() - callsBefore).isEqualTo(outcomes.values().stream()
                .mapToInt(o -> o.getOrDefault("served", 0)).sum());
        // And the holder's class-name typed field refused every type id it was sent.
        assertThat(outcomes.get("holder")).containsKey("bad-request");

        assertThat(CanaryEvidence.INITIALISED).hasValue(0);
        assertThat(CanaryEvidence.INSTANTIATED).hasValue(0);
        assertThat(CanaryEvidence.SETTERS).hasValue(0);
        assertThat(SERVICE.seen).as("classes the service was handed").isSubsetOf(PLAIN);
        // Untyped parameters take gadget payloads as inert data (maps, lists and arrays take those of their
        // own shape); typed ones refuse them.
        for (String untyped : List.of("object", "serializable")) {
            assertThat(outcomes.get(untyped)).as(untyped).doesNotContainKey("bad-request");
        }
        for (String containers : List.of("map", "list", "array")) {
            assertThat(outcomes.get(containers)).as(containers).containsKey("served");
        }
        for (String typed : List.of("shape", "abstractShape", "tagged", "minimal", "type")) {
            assertThat(outcomes.get(typed)).as(typed).doesNotContainKey("served");
        }
        // The runtime serves on, on new connections too.
        Calculator calc = octopus.createClient(Calculator.class,
                new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), tentacle.thumbprint()));
        assertThat(calc.add(20, 22)).isEqualTo(42);
    }

    @Test
    void legitimateValuesOfTheSameShapesStillBind() throws Exception {
        Intake intake = octopus.createClient(Intake.class,
                new ServiceEndPoint(URI.create("https://localhost:" + port + "/"), tentacle.thumbprint()));
        Shapes.Holder h = new Shapes.Holder();
        h.anything = Map.of("@class", CANARY, "list", List.of(1, "two"));
        h.point = new Shapes.Point(1, 2);
        assertThat(intake.holder(h)).isEqualTo("ok");
        assertThat(intake.object(Map.of("@class", CANARY))).isEqualTo("ok");
        assertThat(intake.point(new Shapes.Point(3, 4))).isEqualTo("ok");
        assertThat(CanaryEvidence.total()).isZero();
        assertThat(SERVICE.seen).isSubsetOf(PLAIN);
    }

    private static byte[] requestFrame(Compressor compressor, String id, Method m, JsonNode payload,
                                       boolean withTypeNames) throws IOException {
        ObjectNode doc = JSON.objectNode().put("id", id).put("service", "Intake").put("method", m.getName());
        ArrayNode types = doc.putArray("paramTypes");
        if (withTypeNames) {
            for (Type t : m.getGenericParameterTypes()) {
                types.add(t.getTypeName());
            }
        }
        doc.putArray("params").add(payload);
        byte[] payloadBytes = compressor.compress(BSON.writeValueAsBytes(doc));
        byte[] f = new byte[5 + payloadBytes.length];
        f[0] = 0x01;
        f[1] = (byte) (payloadBytes.length >>> 24);
        f[2] = (byte) (payloadBytes.length >>> 16);
        f[3] = (byte) (payloadBytes.length >>> 8);
        f[4] = (byte) payloadBytes.length;
        System.arraycopy(payloadBytes, 0, f, 5, payloadBytes.length);
        return f;
    }

    private static IncomingResponse readResponse(DataInputStream in, Compressor compressor) throws IOException {
        int type = in.readUnsignedByte();
        assertThat(type).as("frame type").isEqualTo(0x02);
        int length = in.readInt();
        byte[] payload = new byte[length];
        in.readFully(payload);
        return new MessageCodec().decodeResponse(compressor.decompress(payload, 16 * 1024 * 1024));
    }

    private static SSLSocket identifiedClient() throws IOException {
        return RawConnections.identifiedClient(tentacle, port, Duration.ofSeconds(30));
    }
}
