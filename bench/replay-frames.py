#!/usr/bin/env python3
"""Sends every frame of a classic pcap file (Ethernet link type) out of a network interface through a
packet socket, with the file's own timing, so a capture on the far end of a veth pair sees the recorded
traffic arrive as it was recorded. A benchmark's load generator (bench/conns-replay.sh), not a test.

Usage: bench/replay-frames.py FILE.pcap INTERFACE    (root)
Prints "replayed N frames in S s (late L s at most)" on stderr.
"""
import socket
import struct
import sys
import time


def frames(path):
    with open(path, 'rb') as f:
        header = f.read(24)
        magic = struct.unpack('<I', header[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            order = '<'
        elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
            order = '>'
        else:
            sys.exit(f'replay-frames: {path} is not a classic pcap file (pcapng: convert it with editcap -F pcap)')
        nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
        if struct.unpack(order + 'I', header[20:24])[0] != 1:
            sys.exit('replay-frames: only Ethernet captures (link type 1)')
        while True:
            record = f.read(16)
            if len(record) < 16:
                return
            sec, frac, caplen, _ = struct.unpack(order + 'IIII', record)
            yield sec + frac / (1e9 if nano else 1e6), f.read(caplen)


def main():
    path, interface = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((interface, 0))
    start = None
    sent = 0
    late = 0.0
    for ts, frame in frames(path):
        now = time.monotonic()
        if start is None:
            start, first = now, ts
        due = start + (ts - first)
        if due > now + 0.0005:
            time.sleep(due - now)
        else:
            late = max(late, now - due)
        sock.send(frame)
        sent += 1
    print(f'replayed {sent} frames in {time.monotonic() - start:.2f} s (late {late:.3f} s at most)', file=sys.stderr)


main()
