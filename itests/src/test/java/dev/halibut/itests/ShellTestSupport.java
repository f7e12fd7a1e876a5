package dev.halibut.itests;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.PrivilegedActionException;
import java.security.PrivilegedExceptionAction;
import javax.inject.Inject;
import javax.security.auth.Subject;
import org.apache.karaf.jaas.boot.principal.RolePrincipal;
import org.apache.karaf.jaas.boot.principal.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import org.apache.karaf.shell.api.console.Command;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;

/**
 * Runs Karaf shell commands the way an operator's console does: a session from Karaf's
 * {@link SessionFactory}, as a user with Karaf's usual roles, capturing what the command prints.
 */
public abstract class ShellTestSupport extends HalibutTestSupport {

    @Inject
    protected SessionFactory sessionFactory;

    /** What a command printed (standard output and error, in order). Fails if the command threw. */
    protected String execute(String command) throws Exception {
        Outcome outcome = run(command);
        if (outcome.thrown() != null) {
            throw outcome.thrown();
        }
        return outcome.output();
    }

    /**
     * How a command refused: what it threw, as Karaf's console and its ssh/bin/client sessions get it (they
     * print "Error executing command: " and its message, and a scripted run exits non-zero). Fails if the
     * command did not throw.
     */
    protected Outcome refusal(String command) throws Exception {
        Outcome outcome = run(command);
        if (outcome.thrown() == null) {
            throw new AssertionError("expected " + command + " to refuse by throwing, but it returned normally, printing:\n"
                    + outcome.output());
        }
        return outcome;
    }

    /** What a command printed, and what it threw (null when it returned normally). */
    protected record Outcome(String output, Exception thrown) {
        String message() {
            return thrown.getMessage();
        }
    }

    private Outcome run(String command) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Session session = sessionFactory.create(new ByteArrayInputStream(new byte[0]), out, out);
        try {
            Subject subject = new Subject();
            subject.getPrincipals().add(new UserPrincipal("itest"));
            for (String role : new String[] {"admin", "manager", "viewer", "systembundles"}) {
                subject.getPrincipals().add(new RolePrincipal(role));
            }
            Exception thrown = null;
            try {
                Subject.doAs(subject, (PrivilegedExceptionAction<Object>) () -> session.execute(command));
            } catch (PrivilegedActionException e) {
                thrown = e.getException();
            } catch (RuntimeException e) {
                thrown = e;
            }
            out.flush();
            String output = bytes.toString(StandardCharsets.UTF_8);
            System.out.println("karaf@root()> " + command + "\n" + output
                    + (thrown == null ? "" : "(threw " + thrown.getClass().getName() + ": " + thrown.getMessage() + ")\n"));
            return new Outcome(output, thrown);
        } finally {
            session.close();
        }
    }

    /**
     * The completion candidates Tab would offer for the last of {@code arguments} (typed so far) of command
     * {@code scope:name}, from the command's own completer as the console calls it.
     */
    protected List<String> complete(String scope, String name, String... arguments) throws Exception {
        Session session = sessionFactory.create(new ByteArrayInputStream(new byte[0]), System.out, System.err);
        try {
            Command command = session.getRegistry().getCommand(scope, name);
            String[] words = new String[arguments.length + 1];
            words[0] = scope + ":" + name;
            System.arraycopy(arguments, 0, words, 1, arguments.length);
            String buffer = String.join(" ", words);
            String last = words[words.length - 1];
            CommandLine line = new CommandLine() {
                @Override
                public int getCursorArgumentIndex() {
                    return words.length - 1;
                }

                @Override
                public String getCursorArgument() {
                    return last;
                }

                @Override
                public int getArgumentPosition() {
                    return last.length();
                }

                @Override
                public String[] getArguments() {
                    return words;
                }

                @Override
                public int getBufferPosition() {
                    return buffer.length();
                }

                @Override
                public String getBuffer() {
                    return buffer;
                }
            };
            List<String> candidates = new ArrayList<>();
            command.getCompleter(true).complete(session, line, candidates);
            return candidates.stream().map(String::strip).toList();
        } finally {
            session.close();
        }
    }

    /**
     * Waits until Karaf has registered the halibut commands (the extender does it asynchronously once the
     * bundle is active and the commands' references are there).
     */
    protected void awaitHalibutCommands() {
        Await.until("the halibut:* commands to be registered", () -> {
            try {
                execute("halibut:status --help");
                return true;
            } catch (Exception e) {
                return false;
            }
        });
    }
}
