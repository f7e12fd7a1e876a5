package dev.halibut.shell.internal;

import dev.halibut.registry.config.ConfigValues;
import dev.halibut.registry.config.HalibutConfig;
import dev.halibut.runtime.CertificateAndKey;
import dev.halibut.runtime.Certificates;
import dev.halibut.runtime.HalibutRuntime;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.Hashtable;
import java.util.Locale;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.CommandException;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.apache.karaf.shell.api.action.Completion;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * {@code halibut:certificate}: shows the runtime's certificate, or replaces it with a new self-signed one.
 *
 * <p>Replacing: the runtime is configured by Config Admin, so a new certificate is a configuration change.
 * The new key store is written to a new file (never over the one in use, which stays as it was, so the
 * change can be undone by pointing {@code keystore.path} back), its random password to
 * {@code <file>.password} beside it (both readable by the owner only); then {@code keystore.path} is set
 * to the new file and {@code keystore.password} removed, so the registry replaces the runtime with one that
 * uses the new certificate. Every peer that pinned the old thumbprint must be told the new one.
 */
@Service
@Command(scope = "halibut", name = "certificate", description = "Shows this runtime's certificate; with --generate,"
        + " makes a new self-signed one and restarts the runtime with it (peers must then trust the new thumbprint).")
public class CertificateCommand implements Action {

    private static final Duration RESTART_WAIT = Duration.ofSeconds(30);

    @Option(name = "--generate", aliases = "-g", description = "Generate a new self-signed certificate and key, store"
            + " them in a new key store and configure the runtime to use it (the runtime restarts)")
    boolean generate;

    @Option(name = "--cn", description = "Common name of the new certificate (default: halibut@<host name>)")
    String commonName;

    @Option(name = "--keystore", aliases = "-k", description = "Where to write the new PKCS#12 key store (default: a new"
            + " file beside the current one, named halibut-<date-time>.p12); it must not exist")
    @Completion(FileCompleter.class)
    String keystore;

    @Option(name = "--pem", description = "Also print the certificate in PEM form (to give to a peer)")
    boolean pem;

    @Reference(optional = true)
    HalibutRuntime runtime;

    @Reference
    ConfigurationAdmin configurationAdmin;

    @Reference
    BundleContext bundleContext;

    @Override
    public Object execute() throws Exception {
        Configuration configuration = RuntimeConfig.runtime(configurationAdmin);
        Hashtable<String, Object> properties = RuntimeConfig.properties(configuration);
        if (generate) {
            return generate(configuration, properties);
        }
        if (runtime == null) {
            throw new CommandException("No Halibut runtime is running, so there is no certificate to show; check etc/"
                    + HalibutConfig.RUNTIME_PID + ".cfg and data/log/karaf.log (--generate works without a runtime)");
        }
        X509Certificate c = runtime.certificate();
        boolean generated = new ConfigValues(HalibutConfig.RUNTIME_PID, properties).string(HalibutConfig.KEYSTORE_PATH) == null;
        show(c, HalibutConfig.keystore(properties), generated);
        if (pem) {
            System.out.println();
            System.out.println("-----BEGIN CERTIFICATE-----");
            System.out.println(Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(c.getEncoded()));
            System.out.println("-----END CERTIFICATE-----");
        }
        return null;
    }

    private static void show(X509Certificate c, Path keystore, boolean generated) {
        System.out.println("Thumbprint   " + Certificates.thumbprint(c));
        System.out.println("Subject      " + c.getSubjectX500Principal().getName());
        System.out.println("Issuer       " + c.getIssuerX500Principal().getName()
                + (c.getIssuerX500Principal().equals(c.getSubjectX500Principal()) ? " (self-signed)" : ""));
        System.out.println("Serial       " + c.getSerialNumber().toString(16).toUpperCase(Locale.ROOT));
        System.out.println("Valid        " + c.getNotBefore().toInstant() + " to " + c.getNotAfter().toInstant());
        System.out.println("Key          " + describe(c.getPublicKey()) + ", signed with " + c.getSigAlgName());
        System.out.println("Key store    " + (keystore == null ? "(unknown)" : keystore)
                + (generated ? " (generated on first start)" : " (keystore.path)"));
    }

    private static String describe(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            return "RSA " + rsa.getModulus().bitLength() + " bits";
        }
        if (key instanceof ECPublicKey ec) {
            return "EC " + ec.getParams().getCurve().getField().getFieldSize() + " bits";
        }
        return key.getAlgorithm();
    }

    private Object generate(Configuration configuration, Hashtable<String, Object> properties) throws Exception {
        String oldThumbprint = runtime == null ? null : runtime.thumbprint();
        Path target;
        if (keystore != null) {
            target = Path.of(keystore).toAbsolutePath();
        } else {
            Path current = HalibutConfig.keystore(properties);
            if (current == null) {
                throw new CommandException("No key store location is known (no " + HalibutConfig.KEYSTORE_PATH
                        + " and no karaf.data): give one with --keystore");
            }
            String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
            target = current.toAbsolutePath().resolveSibling("halibut-" + stamp + ".p12");
        }
        Path passwordFile = HalibutConfig.passwordFile(target);
        if (Files.exists(target) || Files.exists(passwordFile)) {
            throw new CommandException(target + " or " + passwordFile + " exists already; choose another --keystore");
        }
        String cn = commonName != null ? commonName : defaultCommonName();
        char[] password = newPassword();
        writeOwnerOnly(passwordFile, new String(password) + "\n");
        CertificateAndKey identity;
        try {
            identity = Certificates.generatePkcs12(target, cn, password);
        } catch (RuntimeException e) {
            Files.deleteIfExists(passwordFile);
            throw e;
        }
        String newThumbprint = Certificates.thumbprint(identity.certificate());
        properties.put(HalibutConfig.KEYSTORE_PATH, target.toString());
        properties.remove(HalibutConfig.KEYSTORE_PASSWORD); // the password file beside the key store holds it
        configuration.update(properties);

        System.out.println("Generated a new self-signed certificate:");
        show(identity.certificate(), target, false);
        System.out.println("Password     " + passwordFile + " (readable by the owner only)");
        System.out.println();
        System.out.println("Configured " + HalibutConfig.RUNTIME_PID + ": " + HalibutConfig.KEYSTORE_PATH + " = " + target);
        boolean restarted = Waits.until(RESTART_WAIT, () -> {
            try {
                return !bundleContext.getServiceReferences(HalibutRuntime.class,
                        "(" + HalibutConfig.THUMBPRINT_PROPERTY + "=" + newThumbprint + ")").isEmpty();
            } catch (org.osgi.framework.InvalidSyntaxException e) {
                throw new IllegalStateException(e);
            }
        });
        System.out.println(restarted ? "The runtime has restarted with the new certificate."
                : "The runtime has not restarted with the new certificate within " + RESTART_WAIT.toSeconds()
                  + " s; check data/log/karaf.log.");
        System.out.println();
        System.out.println("WARNING: peers that trust this runtime by its old thumbprint"
                + (oldThumbprint == null ? "" : " " + oldThumbprint) + " will refuse it from now on.");
        System.out.println("  On each peer: halibut:trust " + newThumbprint + " (and halibut:untrust the old one once done),");
        System.out.println("  and change the thumbprint in their dev.halibut.import and dev.halibut.poll configurations"
                + " that point at this runtime.");
        System.out.println("  The old key store is untouched: set keystore.path back to it to undo.");
        return null;
    }

    private static String defaultCommonName() {
        try {
            return "halibut@" + InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "halibut";
        }
    }

    private static char[] newPassword() {
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random).toCharArray();
    }

    /** Creates {@code file} readable by its owner only from the moment it exists. */
    private static void writeOwnerOnly(Path file, String content) throws java.io.IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        try {
            if (Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class)) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(file);
            }
        } catch (FileAlreadyExistsException e) {
            throw new java.io.IOException(file + " exists already", e);
        }
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }
}
