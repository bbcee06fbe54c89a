#!/usr/bin/env bash
# Makes a lossy copy of a capture: N data frames (TCP payload > 0) removed, chosen by a seeded
# pseudo-random draw, so the same input, N and SEED give the same output.
#
# Usage: bench/drop-frames.sh IN N SEED OUT
# Needs tshark (to list the data frames) and editcap (to delete them). Prints how many data frames IN
# has and which were removed (OUT.dropped, one frame number a line).
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: bench/drop-frames.sh IN N SEED OUT" >&2; exit 2; }
in=$1 n=$2 seed=$3 out=$4
frames=$(mktemp /tmp/drop-frames.XXXXXX)
trap 'rm -f "$frames"' EXIT
tshark -r "$in" -Y 'tcp.len > 0' -T fields -e frame.number > "$frames"
total=$(wc -l < "$frames")
# A partial Fisher-Yates shuffle driven by xorshift32 seeded with SEED: the first N are dropped.
node -e '
  const fs = require("node:fs");
  const [file, n, seed] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
  const frames = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
  if (!(n >= 0 && n <= frames.length)) throw new Error(`N must be in [0, ${frames.length}]`);
  let s = (seed >>> 0) || 1;
  const random = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (frames.length - i));
    [frames[i], frames[j]] = [frames[j], frames[i]];
  }
  process.stdout.write(frames.slice(0, n).map(Number).sort((a, b) => a - b).join("\n") + "\n");
' "$frames" "$n" "$seed" > "$out.dropped"
# editcap deletes the frames it is given; 500 per call keeps the command line short.
cp "$in" "$out.work"
mapfile -t drop < "$out.dropped"
# Frame numbers shift as frames go: delete from the end backwards, one batch at a time.
for ((end = ${#drop[@]}; end > 0; end -= 500)); do
  start=$((end > 500 ? end - 500 : 0))
  editcap "$out.work" "$out.next" "${drop[@]:start:end-start}"
  mv "$out.next" "$out.work"
done
mv "$out.work" "$out"
echo "drop-frames: $in has $total data frames; removed $n (seed $seed) -> $out" >&2
