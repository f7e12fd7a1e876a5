/**
 * Karaf shell commands of scope {@code halibut}. Karaf's command extender finds them through the bundle's
 * {@code Karaf-Commands} header (every class is inspected for {@code @Service}); they are registered while
 * their mandatory references are there.
 */
@Header(name = "Karaf-Commands", value = "*")
package dev.halibut.shell.internal;

import org.osgi.annotation.bundle.Header;
