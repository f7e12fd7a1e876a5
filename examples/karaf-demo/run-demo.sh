#!/usr/bin/env bash
#
# The Karaf demo: two Karaf instances on this machine, a calculator called over mutual TLS between them,
# first with the service host listening, then with the service host polling the caller.
#
#   run-demo.sh DISTRIBUTION.tar.gz WORK_DIRECTORY
#
# (mvn -B -q -DskipTests -Pdemo package runs it with the distribution built in the same build.)
#
# 1. Unpacks the distribution twice under WORK_DIRECTORY: "service-host" and "caller". Each gets its own
#    free SSH and RMI ports (Karaf's 8101, 1099 and 44444 would collide), halibut-example added to
#    featuresBoot, and etc/dev.halibut.runtime.cfg listening on a free loopback port (listen.port = 0).
# 2. Starts both (bin/start) and reads each runtime's thumbprint and bound port from data/log/karaf.log.
# 3. Writes the trust (each trusts the other) and waits until both runtimes report it.
# 4. Listening mode: the caller imports https://127.0.0.1:<service host port>/.
#    Polling mode: the service host polls the caller for poll://calculator/, the caller imports
#    poll://calculator/.
# 5. Waits for the caller's consumer to log both results, prints them, stops both instances.
#
# Every wait polls a log with a deadline (HALIBUT_DEMO_TIMEOUT seconds, default 90). Any failure or timeout
# prints the tail of both logs and exits non-zero. The instances are always stopped on exit.
# Needs only bash, coreutils, sed, grep, tar and Java. The shell functions are demo-lib.sh's.

set -euo pipefail

DIST=${1:?usage: run-demo.sh DISTRIBUTION.tar.gz WORK_DIRECTORY}
WORK=${2:?usage: run-demo.sh DISTRIBUTION.tar.gz WORK_DIRECTORY}
TIMEOUT=${HALIBUT_DEMO_TIMEOUT:-90}
CONTRACT=dev.halibut.examples.calculator.Calculator
INSTANCES=(service-host caller)
# shellcheck source=demo-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/demo-lib.sh"
stop_instances_on_exit

[ -f "$DIST" ] || fail "no distribution at $DIST (build it first: mvn -B -DskipTests package)"
command -v java >/dev/null || [ -n "${JAVA_HOME:-}" ] || fail "no java on the PATH and no JAVA_HOME"

say "Halibut Karaf demo: two Karaf instances under $WORK"
mkdir -p "$WORK"
for name in "${INSTANCES[@]}"; do
    # The example at boot: the calculator service (exported) and the consumer of remote ones.
    unpack_instance "$name" halibut-example
    # Both runtimes listen on a free loopback port: the service host for listening mode, the caller for
    # polling mode. Trust comes once both thumbprints are known.
    write_cfg "$WORK/$name/etc" dev.halibut.runtime.cfg "listen.port = 0
listen.address = 127.0.0.1"
done

for name in "${INSTANCES[@]}"; do
    start_instance "$name"
done

declare -A THUMBPRINT PORT
for name in "${INSTANCES[@]}"; do
    read_runtime "$name"
done
host_t=${THUMBPRINT[service-host]}
caller_t=${THUMBPRINT[caller]}

say "Trust: the service host trusts the caller's thumbprint, the caller the service host's"
declare -A SKIP
for name in "${INSTANCES[@]}"; do
    SKIP[$name]=$(lines_in "$WORK/$name/data/log/karaf.log")
done
write_cfg "$WORK/service-host/etc" dev.halibut.runtime.cfg "listen.port = 0
listen.address = 127.0.0.1
trusted.thumbprints = $caller_t"
write_cfg "$WORK/caller/etc" dev.halibut.runtime.cfg "listen.port = 0
listen.address = 127.0.0.1
trusted.thumbprints = $host_t"
for name in "${INSTANCES[@]}"; do
    t=${THUMBPRINT[$name]}
    # A trust change alone keeps the runtime; should the runtime be replaced anyway, take its new port.
    line=$(wait_for_log "$name" "Halibut runtime $t now trusts 1 thumbprint|Halibut runtime started: thumbprint $t, listening on \[[0-9]+\].*trusting 1 thumbprint" \
        "${SKIP[$name]}" "$name's runtime to trust its peer")
    if [[ $line =~ $STARTED_REGEX ]]; then
        PORT[$name]=${BASH_REMATCH[2]}
    fi
    say "$name: $(message "$line")"
done

say "Listening mode: the caller imports the calculator from https://127.0.0.1:${PORT[service-host]}/"
write_cfg "$WORK/caller/etc" dev.halibut.import-listening.cfg "endpoint = https://127.0.0.1:${PORT[service-host]}/
thumbprint = $host_t
interfaces = $CONTRACT"

say "Polling mode: the service host polls https://127.0.0.1:${PORT[caller]}/ for poll://calculator/, the caller imports poll://calculator/"
write_cfg "$WORK/service-host/etc" dev.halibut.poll-calculator.cfg "subscription = poll://calculator/
endpoint = https://127.0.0.1:${PORT[caller]}/
thumbprint = $caller_t"
write_cfg "$WORK/caller/etc" dev.halibut.import-polling.cfg "endpoint = poll://calculator/
thumbprint = $host_t
interfaces = $CONTRACT"

listening=$(wait_for_log caller "Remote calculator at https://127\.0\.0\.1:${PORT[service-host]}/: 1 \+ 2 = 3, 10 / 2 = 5" \
    "${SKIP[caller]}" "the consumer's call in listening mode")
polling=$(wait_for_log caller "Remote calculator at poll://calculator/: 1 \+ 2 = 3, 10 / 2 = 5" \
    "${SKIP[caller]}" "the consumer's call in polling mode")

echo
echo "The caller's consumer (data/log/karaf.log of $WORK/caller):"
echo "  $(message "$listening")"
echo "  $(message "$polling")"
echo
echo "Summary: two Karaf instances, each with its own generated certificate,"
echo "  service host ${host_t} (listening on 127.0.0.1:${PORT[service-host]})"
echo "  caller       ${caller_t} (listening on 127.0.0.1:${PORT[caller]})"
echo "called the calculator over mutual TLS through OSGi Remote Services, with the service host"
echo "listening and with it polling the caller; configuration only in etc/*.cfg. Took ${SECONDS}s."
echo
