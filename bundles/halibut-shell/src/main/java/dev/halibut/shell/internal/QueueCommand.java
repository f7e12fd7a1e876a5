package dev.halibut.shell.internal;

import dev.halibut.runtime.HalibutObserver;
import dev.halibut.runtime.HalibutRuntime;
import dev.halibut.runtime.RuntimeStatus;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

/** {@code halibut:queue}: requests waiting for polling service hosts, per subscription. */
@Service
@Command(scope = "halibut", name = "queue", description = "Lists the requests this runtime's callers queued for polling"
        + " endpoints that no service host has collected yet, per subscription, with the age of the oldest, and the"
        + " polling service hosts connected for each subscription.")
public class QueueCommand implements Action {

    @Reference(optional = true)
    HalibutRuntime runtime;

    @Override
    public Object execute() throws Exception {
        if (runtime == null) {
            System.out.println("No Halibut runtime is running.");
            return null;
        }
        RuntimeStatus status = runtime.status();
        record Row(int pending, Duration oldest, int pollers) {
        }
        Map<String, Row> rows = new TreeMap<>();
        for (RuntimeStatus.PendingRequests p : status.pending()) {
            rows.put(p.subscription(), new Row(p.count(), p.oldestAge(), 0));
        }
        for (RuntimeStatus.InboundConnections i : status.inbound()) {
            if (i.role() == HalibutObserver.Role.SUBSCRIBER) {
                Row r = rows.getOrDefault(i.endpoint(), new Row(0, null, 0));
                rows.put(i.endpoint(), new Row(r.pending(), r.oldest(), r.pollers() + i.open()));
            }
        }
        ShellTable table = Tables.withColumns("(no subscription has pending requests or polling service hosts)",
                "Subscription", "Pending", "Oldest", "Polling connections");
        rows.forEach((subscription, r) -> table.addRow().addContent(subscription, r.pending(),
                r.oldest() == null ? "-" : Text.duration(r.oldest()), r.pollers()));
        table.print(System.out);
        return null;
    }
}
