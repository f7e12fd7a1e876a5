package dev.halibut.runtime.it.canary;

import java.io.Serializable;

/**
 * Stands in for a deserialization gadget: it is everything a contract in these tests declares (a Shape, an
 * AbstractShape, Tagged, MinimalTagged, Serializable), has a public no-argument constructor and setters, and
 * records its own initialisation, construction and setter calls in {@link CanaryEvidence}. Payloads name
 * it by its class name; nothing in the tests refers to it in code.
 */
public final class Canary extends Shapes.AbstractShape
        implements Shapes.Shape, Shapes.Tagged, Shapes.MinimalTagged, Serializable {

    private static final long serialVersionUID = 1L;

    static {
        CanaryEvidence.INITIALISED.incrementAndGet();
    }

    private String name;

    public Canary() {
        CanaryEvidence.INSTANTIATED.incrementAndGet();
    }

    public void setName(String name) {
        CanaryEvidence.SETTERS.incrementAndGet();
        this.name = name;
    }

    public void setCommand(String command) {
        CanaryEvidence.SETTERS.incrementAndGet();
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public String name() {
        return name;
    }
}
