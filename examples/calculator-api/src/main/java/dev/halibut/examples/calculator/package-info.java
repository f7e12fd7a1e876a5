/** The calculator contract shared by the example's service host and caller. */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package dev.halibut.examples.calculator;
