# shellcheck shell=bash
# Sourced by bench/live.sh: one load run alone, beside tcpdump, or beside a sniffer build. The caller
# defines load_run (runs the load once, writes "RATE COMPLETED" to $1) and sets NS (a network namespace
# for the observer, or empty), IFACE and PORT. Each measurement appends one tab-separated row to $RESULTS:
#   scenario run observer rate completed kernel_received kernel_dropped requests responses incomplete
#   cpu_seconds (from capture start to exit) peak_rss_kib stdout_dropped bytes_shed
# ("-" where the observer has no such figure).

# A command prefix, not a function: "${NSX[@]}" cmd & leaves $! the command's own pid (ip netns exec execs).
nsx() { NSX=(); [ -z "${NS:-}" ] || NSX=(ip netns exec "$NS"); }

wait_for_line() { # FILE PATTERN SECONDS
  for _ in $(seq $(($3 * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

# CPU seconds (user + system, every thread) a process has used so far: subtracted from /usr/bin/time's total
# so start-up (Node, WebAssembly compilation) is not charged to the exchanges; the drain at stop is.
cpu_now() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }

# The observer's own process is the child of /usr/bin/time (which ignores SIGINT while it waits).
child_of() {
  local p
  for _ in $(seq 50); do p=$(pgrep -P "$1" | head -1) && [ -n "$p" ] && { echo "$p"; return 0; }; sleep 0.1; done
  return 1
}

measure_alone() { # SCENARIO RUN
  load_run "$TMP/load.out" || return 1
  read -r rate completed < "$TMP/load.out"
  printf '%s\t%s\talone\t%s\t%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\n' "$1" "$2" "$rate" "$completed" >> "$RESULTS"
}

# tcpdump as an operator runs it: its defaults, writing to a file (/dev/null), the same port filter.
measure_tcpdump() { # SCENARIO RUN
  rm -f "$TMP/tcpdump.log" "$TMP/tcpdump.time"
  nsx
  "${NSX[@]}" /usr/bin/time -f '%U %S %M' -o "$TMP/tcpdump.time" \
    tcpdump -i "$IFACE" -w /dev/null "tcp port $PORT" 2> "$TMP/tcpdump.log" &
  local tpid=$! pid
  pid=$(child_of "$tpid") || { echo "live: tcpdump did not start" >&2; return 1; }
  OBSERVER_PID=$pid
  wait_for_line "$TMP/tcpdump.log" "listening on" 10 || { cat "$TMP/tcpdump.log" >&2; return 1; }
  local cpu0; cpu0=$(cpu_now "$pid")
  load_run "$TMP/load.out" || { kill -INT "$pid"; wait "$tpid"; return 1; }
  sleep 1
  kill -INT "$pid"
  wait "$tpid" || true
  OBSERVER_PID=
  read -r rate completed < "$TMP/load.out"
  local received dropped cpu rss
  received=$(grep -o '^[0-9]* packets received by filter' "$TMP/tcpdump.log" | grep -o '^[0-9]*')
  dropped=$(grep -o '^[0-9]* packets dropped by kernel' "$TMP/tcpdump.log" | grep -o '^[0-9]*')
  cpu=$(awk -v c0="$cpu0" '{ print $1 + $2 - c0 }' "$TMP/tcpdump.time")
  rss=$(awk '{ print $3 }' "$TMP/tcpdump.time")
  printf '%s\t%s\ttcpdump\t%s\t%s\t%s\t%s\t-\t-\t-\t%s\t%s\t-\t-\n' "$1" "$2" "$rate" "$completed" \
    "${received:--}" "${dropped:--}" "$cpu" "$rss" >> "$RESULTS"
}

# The sniffer's CLI with its defaults, its stdout to a file in memory whose pages are resident before the
# load (bench/sink-file.sh), counted after the stop by
# count-messages.mjs (a reader of a pipe, on the same two cores as the load, fell behind in bursts and the
# CLI's stdout output dropped messages, which the counts charged to the capture); stats from "stopped".
measure_sniffer() { # SCENARIO RUN BUILD LABEL
  local build=$3 label=$4
  rm -f "$TMP/sniffer.log" "$TMP/sniffer.time" "$TMP/counts.json"
  sink_prepare "$OUT/sniffer.jsonl"
  nsx
  "${NSX[@]}" /usr/bin/time -f '%U %S %M' -o "$TMP/sniffer.time" \
    node "$build/ts/dist/cli.js" --interface "$IFACE" --ports "$PORT" --stdout \
    1<> "$OUT/sniffer.jsonl" 2> "$TMP/sniffer.log" &
  local tpid=$! pid
  pid=$(child_of "$tpid") || { echo "live: the sniffer did not start" >&2; return 1; }
  OBSERVER_PID=$pid
  if ! wait_for_line "$TMP/sniffer.log" '"capturing"' 20; then
    echo "live: the sniffer ($build) is not capturing:" >&2; cat "$TMP/sniffer.log" >&2
    kill -INT "$pid" 2>/dev/null; wait "$tpid"; return 1
  fi
  local cpu0; cpu0=$(cpu_now "$pid")
  load_run "$TMP/load.out" || { kill -INT "$pid"; wait "$tpid"; return 1; }
  sleep 1
  kill -INT "$pid"
  wait "$tpid" || echo "live: the sniffer exited with status $?" >&2
  OBSERVER_PID=
  node "$BENCH/count-messages.mjs" < "$OUT/sniffer.jsonl" > "$TMP/counts.json"
  grep '"level":"error"' "$TMP/sniffer.log" | head -3 >&2 || true
  read -r rate completed < "$TMP/load.out"
  local stats counts bytes cpu rss received dropped stdout_dropped shed
  stats=$(node "$BENCH/stop-stats.mjs" "$TMP/sniffer.log")
  read -r counts bytes <<< "$(node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`${c.requests},${c.responses},${c.incomplete}`, c.bytes)' "$TMP/counts.json")"
  sink_reset "$OUT/sniffer.jsonl" "$bytes"
  cpu=$(awk -v c0="$cpu0" '{ print $1 + $2 - c0 }' "$TMP/sniffer.time")
  rss=$(awk '{ print $3 }' "$TMP/sniffer.time")
  read -r received dropped stdout_dropped shed <<< "$stats"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$label" "$rate" "$completed" \
    "$received" "$dropped" "$(echo "$counts" | tr ',' '\t')" "$cpu" "$rss" "$stdout_dropped" "$shed" >> "$RESULTS"
}

# One table per scenario; the rate is compared with the mean of the same scenario's "alone" runs.
print_results() { # SCENARIO TITLE
  echo
  echo "== $2"
  awk -F'\t' -v s="$1" '
    $1 == s && $3 == "alone" { alone += $4; n++ }
    $1 == s { rows[++r] = $0 }
    END {
      base = n ? alone / n : 0
      printf "%-3s %-22s %9s %6s %9s %17s %19s %19s %5s %8s %8s %9s %7s\n", "run", "beside", "rate/s", "%alone",
        "completed", "kernel drop/recv", "requests emitted", "responses emitted", "incmp", "out drop", "shed MB",
        "cpu us/ex", "rss MiB"
      for (i = 1; i <= r; i++) {
        split(rows[i], f, "\t")
        pct = base ? sprintf("%.0f%%", 100 * f[4] / base) : "-"
        drops = f[7] == "-" ? "-" : sprintf("%s/%s", f[7], f[6])
        req = f[8] == "-" ? "-" : sprintf("%s/%s", f[8], f[5])
        res = f[9] == "-" ? "-" : sprintf("%s/%s", f[9], f[5])
        cpu = f[11] == "-" || f[5] == 0 ? "-" : sprintf("%.1f", f[11] * 1e6 / f[5])
        rss = f[12] == "-" ? "-" : sprintf("%.0f", f[12] / 1024)
        shed = f[14] == "-" ? "-" : sprintf("%.1f", f[14] / 1e6)
        printf "%-3s %-22s %9s %6s %9s %17s %19s %19s %5s %8s %8s %9s %7s\n", f[2], f[3], f[4], pct, f[5], drops, req, res,
          f[10], f[13], shed, cpu, rss
        o = f[3]
        if (!(o in seen)) { seen[o] = 1; order[++k] = o; low[o] = 1e18 }
        rate[o] += f[4]; runs[o]++
        if (f[7] != "-" && f[7] + 0 > drop[o]) drop[o] = f[7] + 0
        if (f[13] != "-" && f[13] + 0 > outd[o]) outd[o] = f[13] + 0
        if (f[9] != "-" && f[5] > 0 && f[9] / f[5] < low[o]) low[o] = f[9] / f[5]
        if (cpu != "-" && cpu + 0 > worst[o]) worst[o] = cpu + 0
        if (rss != "-" && rss + 0 > peak[o]) peak[o] = rss + 0
      }
      # Against issue 8 "done when": no kernel drops, every exchange emitted, the rate beside the sniffer
      # >= 90% of the rate beside tcpdump, <= 10 us of CPU per exchange, peak RSS <= 96 MiB.
      td = runs["tcpdump"] ? rate["tcpdump"] / runs["tcpdump"] : 0
      print "targets (issue 8): 0 kernel drops; 100% emitted; >= 90% of the rate beside tcpdump; <= 10 us/ex (wrk); <= 96 MiB (conns)"
      for (j = 1; j <= k; j++) {
        o = order[j]
        if (o == "alone" || o == "tcpdump") continue
        printf "%s over %d run(s): max kernel drops %d; min responses emitted %.1f%% (max stdout drops %d); rate %s of beside tcpdump; max %s us/ex; max %s MiB\n",
          o, runs[o], drop[o], 100 * low[o], outd[o], td ? sprintf("%.0f%%", 100 * rate[o] / runs[o] / td) : "-", worst[o], peak[o]
      }
    }' "$RESULTS"
}
