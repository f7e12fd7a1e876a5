package dev.halibut.runtime.it.canary;

import com.fasterxml.jackson.annotation.JsonTypeInfo;

/** Declared types a contract may use for parameters; the canary pretends to be every one of them. */
public final class Shapes {
    private Shapes() {
    }

    /** An interface with no type information: the contract names it, nothing may be made of it. */
    public interface Shape {
        String name();
    }

    /** An abstract class, the same. */
    public abstract static class AbstractShape {
        public abstract String getName();
    }

    /** A user type asking Jackson for class-name typing: the classic gadget entry point. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.CLASS)
    public interface Tagged {
    }

    /** The same with minimal class names ({@code "@c": ".Canary"}). */
    @JsonTypeInfo(use = JsonTypeInfo.Id.MINIMAL_CLASS)
    public interface MinimalTagged {
    }

    /** A concrete type: binding to it is allowed, and nothing else may come of it. */
    public record Point(int x, int y) {
    }

    /** A concrete type with an untyped field and a field that asks for class-name typing. */
    public static final class Holder {
        public Object anything;
        @JsonTypeInfo(use = JsonTypeInfo.Id.CLASS)
        public Object typedByClassName;
        public Point point;
    }
}
