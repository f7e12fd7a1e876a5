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
# Needs only bash, coreutils, sed, grep, tar and Java.

set -euo pipefail

DIST=${1:?usage: run-demo.sh DISTRIBUTION.tar.gz WORK_DIRECTORY}
WORK=${2:?usage: run-demo.sh DISTRIBUTION.tar.gz WORK_DIRECTORY}
TIMEOUT=${HALIBUT_DEMO_TIMEOUT:-90}
CONTRACT=dev.halibut.examples.calculator.Calculator
INSTANCES=(service-host caller)
STARTED=()
CHOSEN_PORTS=" "
SECONDS=0

say() { printf '[%3ds] %s\n' "$SECONDS" "$*"; }

fail() {
    echo >&2
    echo "DEMO FAILED: $*" >&2
    local name
    for name in "${INSTANCES[@]}"; do
        if [ -f "$WORK/$name/data/log/karaf.log" ]; then
            echo "---- last 40 lines of $WORK/$name/data/log/karaf.log ----" >&2
            tail -n 40 "$WORK/$name/data/log/karaf.log" >&2
        fi
    done
    exit 1
}

# Is something listening on 127.0.0.1:$1? (bash's /dev/tcp: no other tool needed)
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A port that nothing listens on and that this script has not handed out yet.
free_port() {
    local port=$(( 20000 + RANDOM % 20000 ))
    while port_in_use "$port" || [[ $CHOSEN_PORTS == *" $port "* ]]; do
        port=$(( port + 1 ))
    done
    CHOSEN_PORTS+="$port "
    echo "$port"
}

# Sets key = value in a Karaf .cfg/.properties file (the line "key = ..." must exist).
set_property() {
    local file=$1 key=$2 value=$3
    grep -qE "^${key}[[:space:]]*=" "$file" || fail "$file has no $key"
    sed -i -E "s|^(${key}[[:space:]]*=).*|\\1 ${value}|" "$file"
}

# Writes a configuration file into etc/ in one step (a temporary name that fileinstall ignores, then
# a rename), so Karaf never reads half of it.
write_cfg() {
    local etc=$1 name=$2 content=$3
    printf '%s\n' "$content" > "$etc/.$name.tmp"
    mv "$etc/.$name.tmp" "$etc/$name"
}

lines_in() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }

# wait_for_log NAME REGEX SKIP_LINES WHAT: waits until the instance's karaf.log has a line after the
# first SKIP_LINES lines matching REGEX (extended), prints the last such line.
wait_for_log() {
    local name=$1 regex=$2 skip=$3 what=$4 log="$WORK/$1/data/log/karaf.log" deadline=$(( SECONDS + TIMEOUT ))
    local line
    while true; do
        if [ -f "$log" ]; then
            line=$(tail -n +"$(( skip + 1 ))" "$log" | grep -E -- "$regex" | tail -n 1 || true)
            if [ -n "$line" ]; then
                printf '%s\n' "$line"
                return 0
            fi
            if tail -n +"$(( skip + 1 ))" "$log" | grep -qE 'Remote calculator at .* failed|Halibut runtime not started'; then
                fail "$name logged an error while waiting for $what"
            fi
        fi
        if [ -f "$WORK/$name/karaf.pid" ] && ! kill -0 "$(cat "$WORK/$name/karaf.pid")" 2>/dev/null; then
            fail "$name's Karaf process ended while waiting for $what"
        fi
        (( SECONDS < deadline )) || fail "timed out after ${TIMEOUT}s waiting for $what in $log"
        sleep 0.5
    done
}

# The message part of a Karaf log line ("date | level | thread | logger | bundle | message").
message() { printf '%s\n' "${1##*| }"; }

# Asks the instance in $WORK/$1 to stop (bin/stop).
request_stop() { "$WORK/$1/bin/stop" >/dev/null 2>&1 || true; }

# Waits until the instance's process has ended; kills it if it is still there after 60s.
await_stop() {
    local name=$1 pid deadline
    pid=$(cat "$WORK/$name/karaf.pid" 2>/dev/null || true)
    [ -n "$pid" ] || return 0
    deadline=$(( SECONDS + 60 ))
    while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "$name (pid $pid) did not stop within 60s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
        return 1
    fi
}

stop_instances() {
    local status=$? name
    trap - EXIT INT TERM
    for name in "${STARTED[@]}"; do
        say "Stopping $name"
        request_stop "$name" &
    done
    wait
    for name in "${STARTED[@]}"; do
        await_stop "$name" || status=1
    done
    [ ${#STARTED[@]} -eq 0 ] || say "Both instances stopped"
    exit "$status"
}
trap stop_instances EXIT
trap 'exit 130' INT TERM

[ -f "$DIST" ] || fail "no distribution at $DIST (build it first: mvn -B -DskipTests package)"
command -v java >/dev/null || [ -n "${JAVA_HOME:-}" ] || fail "no java on the PATH and no JAVA_HOME"

say "Halibut Karaf demo: two Karaf instances under $WORK"
mkdir -p "$WORK"
for name in "${INSTANCES[@]}"; do
    dir="$WORK/$name"
    if [ -f "$dir/karaf.pid" ] && kill -0 "$(cat "$dir/karaf.pid")" 2>/dev/null; then
        say "Stopping the $name left running by an earlier run"
        request_stop "$name"
        await_stop "$name" || true
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    tar -xzf "$DIST" -C "$dir" --strip-components=1
    etc="$dir/etc"
    # Own ports for the SSH console and JMX, so the two instances (and any other Karaf here) do not collide.
    set_property "$etc/org.apache.karaf.shell.cfg" sshPort "$(free_port)"
    set_property "$etc/org.apache.karaf.shell.cfg" sshHost 127.0.0.1
    set_property "$etc/org.apache.karaf.management.cfg" rmiRegistryPort "$(free_port)"
    set_property "$etc/org.apache.karaf.management.cfg" rmiServerPort "$(free_port)"
    # Install the example at boot: the calculator service (exported) and the consumer of remote ones.
    grep -qE '^featuresBoot[[:space:]]*=[[:space:]]*\\$' "$etc/org.apache.karaf.features.cfg" \
        || fail "unexpected featuresBoot format in $etc/org.apache.karaf.features.cfg"
    sed -i -E 's|^(featuresBoot[[:space:]]*=[[:space:]]*\\)$|\1\n    halibut-example, \\|' "$etc/org.apache.karaf.features.cfg"
    # Both runtimes listen on a free loopback port: the service host for listening mode, the caller for
    # polling mode. Trust comes once both thumbprints are known.
    write_cfg "$etc" dev.halibut.runtime.cfg "listen.port = 0
listen.address = 127.0.0.1"
done

for name in "${INSTANCES[@]}"; do
    say "Starting $name"
    "$WORK/$name/bin/start"
    STARTED+=("$name")
done

declare -A THUMBPRINT PORT
started_regex='Halibut runtime started: thumbprint ([0-9A-F]{40}), listening on \[([0-9]+)\]'
for name in "${INSTANCES[@]}"; do
    line=$(wait_for_log "$name" "$started_regex" 0 "$name's Halibut runtime to listen")
    [[ $line =~ $started_regex ]] || fail "cannot read the thumbprint and port from: $line"
    THUMBPRINT[$name]=${BASH_REMATCH[1]}
    PORT[$name]=${BASH_REMATCH[2]}
    say "$name: $(message "$line")"
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
    if [[ $line =~ $started_regex ]]; then
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
