package dev.halibut.shell.internal;

import dev.halibut.runtime.ConnectionLogEntry;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.RuntimeStatus;
import java.util.List;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/** {@code halibut:connections}: open connections per endpoint, or one endpoint's connection log. */
@Service
@Command(scope = "halibut", name = "connections", description = "Lists open connections per endpoint: to listening"
        + " service hosts (pooled idle and in use), from peers to this runtime's listeners, and polling connections."
        + " With --log, shows the recent connection events of one endpoint instead.")
public class ConnectionsCommand implements Action {

    @Option(name = "--log", aliases = "-l", description = "Show the connection log of this endpoint (https://host:port/,"
            + " poll://subscription/ or listen://address:port/): the last " + HalibutRuntime.CONNECTION_LOG_SIZE + " events")
    @Completion(EndpointCompleter.class)
    String log;

    @Reference(optional = true)
    HalibutRuntime runtime;

    @Override
    public Object execute() throws Exception {
        if (runtime == null) {
            System.out.println("No Halibut runtime is running.");
            return null;
        }
        if (log != null) {
            List<ConnectionLogEntry> entries = runtime.connectionLog(log);
            if (entries.isEmpty()) {
                System.out.println("Nothing logged for " + Text.endpoint(log) + ". Endpoints with a log: "
                        + runtime.connectionLogEndpoints());
                return null;
            }
            System.out.println("Connection log of " + Text.endpoint(log) + " (oldest first)");
            for (ConnectionLogEntry e : entries) {
                System.out.println(Text.time(e.time()) + " " + String.format("%-5s", e.level()) + " " + e.message());
            }
            return null;
        }
        RuntimeStatus status = runtime.status();
        ShellTable out = Tables.withColumns(Tables.NONE, "Endpoint", "Thumbprint", "Idle", "In use", "Route");
        for (RuntimeStatus.OutboundConnections o : status.outbound()) {
            out.addRow().addContent(o.endpoint(), o.remoteThumbprint(), o.idle(), o.inUse(), o.route());
        }
        Tables.printTitled("To listening service hosts (pooled)", out);

        System.out.println();
        ShellTable in = Tables.withColumns(Tables.NONE, "Endpoint", "Peer thumbprint", "Peer role", "Open", "Route");
        for (RuntimeStatus.InboundConnections i : status.inbound()) {
            in.addRow().addContent(i.endpoint(), i.remoteThumbprint(), i.role() == dev.halibut.runtime.HalibutObserver.Role.SUBSCRIBER
                    ? "polling service host" : "caller", i.open(), i.route());
        }
        Tables.printTitled("From peers to this runtime's listeners", in);

        System.out.println();
        ShellTable polling = Tables.withColumns(Tables.NONE, "Subscription", "Listener", "Route", "Connected");
        for (RuntimeStatus.Subscription s : status.subscriptions()) {
            polling.addRow().addContent(s.subscription(), s.listener(), s.route(), s.connected() + "/" + s.connections());
        }
        Tables.printTitled("Polling connections (this runtime polls)", polling);
        return null;
    }
}
