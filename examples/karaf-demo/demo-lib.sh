# Shell functions shared by the Karaf demos (run-demo.sh, run-discovery-demo.sh); sourced, not run.
#
# The demo sets, before sourcing:
#   WORK       the work directory; each Karaf instance is unpacked into $WORK/<name>
#   TIMEOUT    seconds any single wait may take
#   INSTANCES  the names of its Karaf instances (an array)
# and may define demo_fail_details, called by fail after the Karaf logs (to print more logs).
# It calls stop_instances_on_exit once, before it starts anything.
#
# Needs only bash, coreutils, sed, grep and tar.

STARTED=()
CHOSEN_PORTS=" "
SECONDS=0
# A line a demo never expects: the example consumer's failed call, or a runtime that did not start.
DEMO_ERROR_REGEX='Remote calculator at .* failed|Halibut runtime not started'
# The registry's line for a started runtime: thumbprint, then the bound ports (none: "[]").
STARTED_REGEX='Halibut runtime started: thumbprint ([0-9A-F]{40}), listening on \[([0-9]*)\]'

say() { printf '[%3ds] %s\n' "$SECONDS" "$*"; }

fail() {
    echo >&2
    echo "DEMO FAILED: $*" >&2
    local name
    for name in "${INSTANCES[@]}"; do
        if [ -f "$WORK/$name/data/log/karaf.log" ]; then
            echo "---- last 30 lines of $WORK/$name/data/log/karaf.log ----" >&2
            tail -n 30 "$WORK/$name/data/log/karaf.log" >&2
        fi
    done
    if declare -F demo_fail_details >/dev/null; then
        demo_fail_details >&2
    fi
    exit 1
}

# Is something listening on 127.0.0.1:$1? (bash's /dev/tcp: no other tool needed)
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Sets the variable named $1 to a port that nothing listens on and that this script has not handed out yet
# (a variable, not output: CHOSEN_PORTS must be updated in this shell, not in a $(...) subshell). Picked below the kernel's
# ephemeral range (ip_local_port_range), which is where every bind to port 0 and every outgoing connection's
# local port come from: between this check and Karaf binding the port, neither can take it.
free_port() {
    local -n chosen=$1
    local low
    low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null) || low=
    [[ $low =~ ^[0-9]+$ && $low -gt 12000 ]] || low=32768
    local first=10000 span=$(( low - 10000 ))
    local port=$(( first + RANDOM % span ))
    while port_in_use "$port" || [[ $CHOSEN_PORTS == *" $port "* ]]; do
        port=$(( port + 1 ))
        (( port < low )) || port=$first
    done
    CHOSEN_PORTS+="$port "
    chosen=$port
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

karaf_log() { printf '%s\n' "$WORK/$1/data/log/karaf.log"; }

lines_in() { if [ -f "$1" ]; then wc -l < "$1"; else echo 0; fi; }

# Fails the demo if the instance's Karaf process has ended or its log (after SKIP lines) shows an error.
check_instance() {
    local name=$1 skip=$2 what=$3 log
    log=$(karaf_log "$name")
    if [ -f "$WORK/$name/karaf.pid" ] && ! kill -0 "$(cat "$WORK/$name/karaf.pid")" 2>/dev/null; then
        fail "$name's Karaf process ended while waiting for $what"
    fi
    if [ -f "$log" ] && tail -n +"$(( skip + 1 ))" "$log" | grep -qE -- "$DEMO_ERROR_REGEX"; then
        fail "$name logged an error while waiting for $what"
    fi
}

# wait_for_log NAME REGEX SKIP_LINES WHAT: waits until the instance's karaf.log has a line after the
# first SKIP_LINES lines matching REGEX (extended), prints the last such line.
wait_for_log() {
    local name=$1 regex=$2 skip=$3 what=$4 log deadline=$(( SECONDS + TIMEOUT )) line
    log=$(karaf_log "$name")
    while true; do
        if [ -f "$log" ]; then
            line=$(tail -n +"$(( skip + 1 ))" "$log" | grep -E -- "$regex" | tail -n 1 || true)
            if [ -n "$line" ]; then
                printf '%s\n' "$line"
                return 0
            fi
        fi
        check_instance "$name" "$skip" "$what"
        (( SECONDS < deadline )) || fail "timed out after ${TIMEOUT}s waiting for $what in $log"
        sleep 0.5
    done
}

# count_in_log NAME REGEX: how many lines of the instance's karaf.log match REGEX.
count_in_log() {
    local log
    log=$(karaf_log "$1")
    if [ -f "$log" ]; then grep -cE -- "$2" "$log" || true; else echo 0; fi
}

# wait_for_count NAME REGEX COUNT WHAT: waits until at least COUNT lines of the instance's log match REGEX.
wait_for_count() {
    local name=$1 regex=$2 count=$3 what=$4 deadline=$(( SECONDS + TIMEOUT ))
    while (( $(count_in_log "$name" "$regex") < count )); do
        check_instance "$name" 0 "$what"
        (( SECONDS < deadline )) || fail "timed out after ${TIMEOUT}s waiting for $what"
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

# Stops every started instance at once (bin/stop in parallel), then waits for each process to end.
# Returns non-zero if one had to be killed.
stop_started_instances() {
    local name status=0 stops=()
    for name in "${STARTED[@]}"; do
        say "Stopping $name"
        request_stop "$name" &
        stops+=($!)
    done
    # Only the stop requests: a bare wait would also wait for other children of the demo (ZooKeeper).
    [ ${#stops[@]} -eq 0 ] || wait "${stops[@]}"
    for name in "${STARTED[@]}"; do
        await_stop "$name" || status=1
    done
    return "$status"
}

# On exit (also after a failure or Ctrl-C): stop the instances, then run demo_cleanup if the demo defines it.
stop_instances_on_exit() {
    trap on_exit EXIT
    trap 'exit 130' INT TERM
}

on_exit() {
    local status=$?
    trap - EXIT INT TERM
    stop_started_instances || status=1
    if declare -F demo_cleanup >/dev/null; then
        demo_cleanup
    fi
    exit "$status"
}

# unpack_instance NAME BOOT_FEATURES: a fresh Karaf under $WORK/NAME (an instance left running there by an
# earlier run is stopped first) with its own free SSH and RMI ports (Karaf's 8101, 1099 and 44444 would
# collide) and BOOT_FEATURES (comma-separated) added to featuresBoot.
unpack_instance() {
    local name=$1 features=$2 dir="$WORK/$1" etc
    if [ -f "$dir/karaf.pid" ] && kill -0 "$(cat "$dir/karaf.pid")" 2>/dev/null; then
        say "Stopping the $name left running by an earlier run"
        request_stop "$name"
        await_stop "$name" || true
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    tar -xzf "$DIST" -C "$dir" --strip-components=1
    etc="$dir/etc"
    local ssh_port registry_port server_port
    free_port ssh_port
    free_port registry_port
    free_port server_port
    set_property "$etc/org.apache.karaf.shell.cfg" sshPort "$ssh_port"
    set_property "$etc/org.apache.karaf.shell.cfg" sshHost 127.0.0.1
    set_property "$etc/org.apache.karaf.management.cfg" rmiRegistryPort "$registry_port"
    set_property "$etc/org.apache.karaf.management.cfg" rmiServerPort "$server_port"
    grep -qE '^featuresBoot[[:space:]]*=[[:space:]]*\\$' "$etc/org.apache.karaf.features.cfg" \
        || fail "unexpected featuresBoot format in $etc/org.apache.karaf.features.cfg"
    sed -i -E "s|^(featuresBoot[[:space:]]*=[[:space:]]*\\\\)\$|\\1\\n    ${features}, \\\\|" \
        "$etc/org.apache.karaf.features.cfg"
}

# Starts the instance (bin/start) and remembers it for stopping.
start_instance() {
    say "Starting $1"
    "$WORK/$1/bin/start"
    STARTED+=("$1")
}

# read_runtime NAME: waits for the instance's runtime to start; sets THUMBPRINT[NAME] and PORT[NAME] (empty
# when it does not listen) and prints the log line's message. The demo declares: declare -A THUMBPRINT PORT
read_runtime() {
    local name=$1 line
    line=$(wait_for_log "$name" "$STARTED_REGEX" 0 "$name's Halibut runtime to start")
    [[ $line =~ $STARTED_REGEX ]] || fail "cannot read the thumbprint and port from: $line"
    THUMBPRINT[$name]=${BASH_REMATCH[1]}
    PORT[$name]=${BASH_REMATCH[2]}
    say "$name: $(message "$line")"
}
