#!/usr/bin/env bash
# Offline decoding speed, in one run on the same capture files: each sniffer build against tshark's
# cheapest HTTP pass and tcpflow's TCP reassembly alone.
#   ours:    node BUILD/ts/dist/cli.js --read F > /dev/null   (messages counted from its stop statistics)
#   ours-nb: the same with --max-body-size 0                    (closer to the work of tshark's fields)
#   tshark:  tshark -r F -d tcp.port==P,http -Y http -T fields -e http.request.method -e http.request.uri
#            -e http.response.code | wc -l                      (a few bytes per message: the pipe costs nothing)
#   tcpflow: tcpflow -r F -o DIR                                (reassembly into per-direction files, no HTTP)
# Prints seconds, MB/s of capture and messages/s, CPU seconds (user + sys of the tool alone: on a shared
# machine the wall clock also measures the neighbours), and per build the ratios: tshark's time over ours
# (target >= 10x) and ours over tcpflow's (target <= 2x), over whole runs (as the targets are stated) and
# net of each tool's start-up (its time on a capture of no packets, measured first). With --runs N every
# command runs N times, interleaved (all tools once, then again), and each figure is the median of its runs:
# on a shared machine a single run's ratio moves by a third from one run to the next.
# Node runs without NODE_EXTRA_CA_CERTS: a CA bundle named there is parsed at every Node start (80 ms of
# CPU on this machine), a cost of the machine's setup that a sniffer reading a file does not have.
#
# Usage: bench/offline.sh [--runs N] [--build DIR]... [F]...
#   N: runs of each command (default 1).
#   DIR: a checkout with a built sniffer (default: this one); several to compare builds side by side.
#   F: capture files (default bench/out/capture.pcap), made by bench/make-capture.sh (F.port names the
#   HTTP port for tshark; 18080 when absent).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
builds=()
files=()
runs=1
while [ $# -gt 0 ]; do
  case $1 in
    --build) builds+=("$(cd "$2" && pwd)") || exit 1; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) files+=("$1"); shift ;;
  esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "offline: --runs must be a positive integer, not '$runs'" >&2; exit 1; }
[ ${#builds[@]} -gt 0 ] || builds=("$root")
[ ${#files[@]} -gt 0 ] || files=("$root/bench/out/capture.pcap")
for f in "${files[@]}"; do
  [ -f "$f" ] || { echo "offline: $f is missing; make it with bench/make-capture.sh" >&2; exit 1; }
done
for b in "${builds[@]}"; do
  [ -f "$b/ts/dist/cli.js" ] || { echo "offline: $b/ts/dist/cli.js is missing; run scripts/build.sh there" >&2; exit 1; }
done
tmp=$(mktemp -d /tmp/bench-offline.XXXXXX)
ournode=(env -u NODE_EXTRA_CA_CERTS node)
trap 'rm -rf "$tmp"' EXIT

# timed KEY CMD...: runs CMD under /usr/bin/time and adds "wall cpu" (cpu = user + sys) to KEY's runs.
timed() {
  local key=$1
  shift
  /usr/bin/time -f '%e %U %S' -o "$tmp/time" "$@"
  awk '{ print $1, $2 + $3 }' "$tmp/time" >> "$tmp/$key.times"
}
# median KEY: "wall cpu", each the median of KEY's runs.
median() {
  local c
  for c in 1 2; do
    cut -d' ' -f$c "$tmp/$1.times" | sort -g |
      awk '{ v[NR] = $1 } END { printf "%s%s", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), (c == 1 ? " " : "") }' c=$c
  done
}
# One row: NAME KEY MB MESSAGES, from the medians of KEY's runs.
row() {
  median "$2" | awk -v n="$1" -v mb="$3" -v m="$4" '{ c = $2
    printf "%-22s %8.2f %8.1f %9s %11s %7.2f %9.1f\n", n, $1, mb / $1, m, (m == "-" ? "-" : sprintf("%.0f", m / $1)), c, mb / c
  }'
}

stat_of() { # LOG KEY-REGEX: the number after the key in the CLI's stop statistics
  grep -o "$2[0-9]*" "$1" | tail -1 | grep -o '[0-9]*$' || echo 0
}

declare -A up_wall up_cpu   # start-up per tool (tshark, tcpflow, build DIR); 0 when not measured
echo "offline: $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores, $runs run(s) each"
# What each tool costs before its first packet (a capture of no packets: a pcap file's 24-byte header), so
# the ratios on a small capture can be read; every figure below includes it.
if [ "$(head -c 4 "${files[0]}" | od -An -tx1 | tr -d ' ')" = d4c3b2a1 ]; then
  head -c 24 "${files[0]}" > "$tmp/empty.pcap"
  tools=(tshark tcpflow "${builds[@]}")
  for _ in $(seq "$runs"); do
    for i in "${!tools[@]}"; do
      case ${tools[$i]} in
        tshark) cmd=(tshark -r "$tmp/empty.pcap" -Y http -T fields -e http.request.method) ;;
        tcpflow) cmd=(tcpflow -r "$tmp/empty.pcap" -o "$tmp") ;;
        *) cmd=("${ournode[@]}" "${tools[$i]}/ts/dist/cli.js" --read "$tmp/empty.pcap") ;;
      esac
      timed "up$i" "${cmd[@]}" > /dev/null 2>&1
    done
  done
  startup=""
  for i in "${!tools[@]}"; do
    tool=${tools[$i]}
    read -r "up_wall[$tool]" "up_cpu[$tool]" <<< "$(median "up$i")"
    [ "$tool" = tshark ] || [ "$tool" = tcpflow ] || tool=$(basename "$tool")
    startup="$startup $tool $(median "up$i" | awk '{ printf "%.2f s (%.2f CPU s)", $1, $2 }');"
  done
  echo "start-up, a capture of no packets:${startup%;}"
fi
for f in "${files[@]}"; do
  port=$(cat "$f.port" 2>/dev/null || echo 18080)
  mb=$(awk -v b="$(stat -c %s "$f")" 'BEGIN { printf "%.1f", b / 1e6 }')
  packets=$(capinfos -M -c -T "$f" 2>/dev/null | awk -F'\t' 'NR == 2 { print $2 }')
  cat "$f" > /dev/null   # every tool reads the file warm
  echo
  echo "== capture $f: $mb MB, ${packets:-?} packets, HTTP port $port"
  printf "%-22s %8s %8s %9s %11s %7s %9s\n" tool seconds MB/s messages messages/s "cpu s" MB/cpu-s
  rm -f "$tmp"/*.times
  for _ in $(seq "$runs"); do
    timed tshark tshark -r "$f" -d "tcp.port==$port,http" -Y http \
      -T fields -e http.request.method -e http.request.uri -e http.response.code 2> "$tmp/tshark.log" \
      | wc -l > "$tmp/tshark.count"
    rm -rf "$tmp/flows" && mkdir "$tmp/flows"
    timed tcpflow tcpflow -r "$f" -o "$tmp/flows" > /dev/null 2>&1
    rm -rf "$tmp/flows"
    for i in "${!builds[@]}"; do
      timed "ours$i" "${ournode[@]}" "${builds[$i]}/ts/dist/cli.js" --read "$f" > /dev/null 2> "$tmp/ours$i.log"
      grep -m3 '"level":"error"' "$tmp/ours$i.log" >&2
      dropped=$(stat_of "$tmp/ours$i.log" '"stdout":{[^}]*"dropped":')
      [ "$dropped" = 0 ] || echo "offline: WARNING: ${builds[$i]}'s stdout output dropped $dropped messages" >&2
      timed "nobody$i" "${ournode[@]}" "${builds[$i]}/ts/dist/cli.js" --read "$f" --max-body-size 0 \
        > /dev/null 2> "$tmp/nobody$i.log"
    done
  done
  row tshark tshark "$mb" "$(cat "$tmp/tshark.count")"
  read -r tshark_wall tshark_cpu <<< "$(median tshark)"
  row tcpflow tcpflow "$mb" -
  read -r tcpflow_wall tcpflow_cpu <<< "$(median tcpflow)"

  for i in "${!builds[@]}"; do
    b=${builds[$i]}
    label="$(basename "$b")@$(git -C "$b" rev-parse --short HEAD 2>/dev/null || echo '?')"
    row "$label" "ours$i" "$mb" "$(stat_of "$tmp/ours$i.log" '"stdout":{"delivered":')"
    read -r ours_wall ours_cpu <<< "$(median "ours$i")"
    row "  -nb (no bodies)" "nobody$i" "$mb" "$(stat_of "$tmp/nobody$i.log" '"stdout":{"delivered":')"
    awk -v l="$label" -v ow="$ours_wall" -v oc="$ours_cpu" -v sw="$tshark_wall" -v sc="$tshark_cpu" \
        -v fw="$tcpflow_wall" -v fc="$tcpflow_cpu" 'BEGIN {
      printf "  %s: tshark/ours %.1fx wall, %.1fx CPU (target >= 10x); ours/tcpflow %.2fx wall, %.2fx CPU (target <= 2x)\n",
        l, sw / ow, sc / oc, ow / fw, oc / fc }'
    awk -v l="$label" -v ow="$ours_wall" -v oc="$ours_cpu" -v sw="$tshark_wall" -v sc="$tshark_cpu" \
        -v fw="$tcpflow_wall" -v fc="$tcpflow_cpu" -v uow="${up_wall[$b]:-0}" -v uoc="${up_cpu[$b]:-0}" \
        -v usw="${up_wall[tshark]:-0}" -v usc="${up_cpu[tshark]:-0}" -v ufw="${up_wall[tcpflow]:-0}" -v ufc="${up_cpu[tcpflow]:-0}" '
      function r(a, b) { return b > 0.005 ? sprintf("%.1fx", a / b) : "-" }
      BEGIN { if (uow + usw + ufw > 0)
        printf "  %s net of start-up: tshark/ours %s wall, %s CPU; ours/tcpflow %s wall, %s CPU\n",
          l, r(sw - usw, ow - uow), r(sc - usc, oc - uoc), r(ow - uow, fw - ufw), r(oc - uoc, fc - ufc) }'
  done
done
