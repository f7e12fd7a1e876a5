package dev.halibut.shell.internal;

import org.apache.karaf.shell.support.table.ShellTable;

/** The tables the listing commands print: named columns, a text in place of an empty table, a title line above. */
final class Tables {

    /** What a section of {@code halibut:status} or {@code halibut:connections} shows when it has no rows. */
    static final String NONE = "(none)";

    private Tables() {
    }

    /** A table with these column headers, left to right, that prints {@code whenEmpty} when it has no rows. */
    static ShellTable withColumns(String whenEmpty, String... headers) {
        ShellTable table = new ShellTable().emptyTableText(whenEmpty);
        for (String header : headers) {
            table.column(header);
        }
        return table;
    }

    /** Prints one section of a command's output: its title on a line of its own, then the table. */
    static void printTitled(String title, ShellTable table) {
        System.out.println(title);
        table.print(System.out);
    }
}
