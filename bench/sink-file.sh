# shellcheck shell=bash
# Sourced by bench/live.sh and bench/live-threads.sh: the file in /dev/shm that takes the sniffer's stdout,
# with its pages touched before the load, so that the sniffer's CPU counts the copy of its output (which
# every sink costs, a container runtime's pipe included) and not this VM's first touch of fresh memory.
#
# Why: on this project's VM a page that has been free for a few seconds costs about 1 µs per KiB to touch
# again (the guest hands free pages back to the hypervisor: virtio_balloon's free page reporting). The
# wrk scenario writes 5 KB of JSON lines per exchange into 1.5-2 GB of new page cache, so writing into a
# fresh file cost the sniffer 4-5 µs per exchange on top of its own 4.5; overwriting a resident file
# costs under 1 (docs/performance.md, "Issue 8, session 10").
#
# The sniffer's stdout opens the file without truncating it (`1<>`), so its lines overwrite zeros from the
# start; JSON lines never hold a NUL byte (JSON escapes it), so the first NUL ends what this run wrote
# (count-messages.mjs stops there), and sink_reset zeroes that much again for the next run.
# BENCH_SINK_BYTES=0 gives the old sink: a new file each run, its pages fresh.

SINK_BYTES=${BENCH_SINK_BYTES:-3221225472}
[[ $SINK_BYTES =~ ^[0-9]+$ ]] || { echo "bench: BENCH_SINK_BYTES must be a byte count, not '$SINK_BYTES'" >&2; exit 1; }

# Makes FILE SINK_BYTES of resident zeros (once: a file already that size is kept).
sink_prepare() { # FILE
  if [ "$SINK_BYTES" = 0 ]; then : > "$1"; return; fi
  [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$SINK_BYTES" ] && return
  head -c "$SINK_BYTES" /dev/zero > "$1"
}

# Zeroes the first BYTES of FILE again (the part the last run wrote), or empties FILE for the old sink.
sink_reset() { # FILE BYTES
  if [ "$SINK_BYTES" = 0 ]; then rm -f "$1"; return; fi
  [ "$2" -gt 0 ] || return 0
  dd if=/dev/zero of="$1" bs=1M count=$((($2 + 1048575) / 1048576)) conv=notrunc status=none
}
