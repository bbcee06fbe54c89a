// Two network namespaces joined by a veth pair, with addresses in a private /30 that exists only inside
// them, and optional real packet loss from iptables `statistic` drops (this kernel has no netem).
// REQUIRES: root (CI runs as root), iproute2 and iptables.
import { execFileSync } from 'node:child_process';

export interface NetnsPair {
  /** Namespace of the server and the sniffer. */
  serverNs: string;
  /** Namespace of the client. */
  clientNs: string;
  serverIf: string;
  clientIf: string;
  serverIp: string;
  clientIp: string;
  /** Command prefix that runs argv inside a namespace: [...inNs(ns), cmd, ...args]. */
  inNs(ns: string): string[];
  /** Drops each incoming packet with probability p in both namespaces. */
  addLoss(p: number): void;
  /** Packets the loss rules dropped so far, both namespaces together. */
  droppedPackets(): number;
  /** Removes both namespaces (and with them the veth pair and the iptables rules). Idempotent. */
  remove(): void;
}

const created = new Set<NetnsPair>();
process.on('exit', () => {
  for (const pair of created) pair.remove();
});

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Removes namespaces left by a test process that died without cleaning up (killed by a timeout, say):
 * names carry the creator's pid, and a pid that no longer runs owns nothing.
 */
function sweepOrphans(): void {
  let list = '';
  try {
    list = execFileSync('ip', ['netns', 'list']).toString();
  } catch {
    return;
  }
  for (const line of list.split('\n')) {
    const m = /^(tsn-[a-z]+(\d+)-[sc])\b/.exec(line.trim());
    if (!m) continue;
    try {
      process.kill(Number(m[2]), 0);
    } catch {
      try {
        ip('netns', 'del', m[1]);
      } catch {
        // raced with another sweeper
      }
    }
  }
}

/** Creates the pair; `tag` (lower-case letters) keeps names unique per test; interface names fit 15 bytes. */
export function createNetnsPair(tag: string, subnetOctet: number): NetnsPair {
  sweepOrphans();
  const id = `${tag}${process.pid}`;
  const serverNs = `tsn-${id}-s`;
  const clientNs = `tsn-${id}-c`;
  const serverIf = `vs${id}`.slice(0, 15);
  const clientIf = `vc${id}`.slice(0, 15);
  const serverIp = `10.213.${subnetOctet}.1`;
  const clientIp = `10.213.${subnetOctet}.2`;
  let removed = false;
  const pair: NetnsPair = {
    serverNs, clientNs, serverIf, clientIf, serverIp, clientIp,
    inNs: (ns) => ['ip', 'netns', 'exec', ns],
    addLoss(p) {
      for (const ns of [serverNs, clientNs]) {
        execFileSync('ip', ['netns', 'exec', ns, 'iptables', '-A', 'INPUT', '-p', 'tcp', '-m', 'statistic',
          '--mode', 'random', '--probability', String(p), '-j', 'DROP']);
      }
    },
    droppedPackets() {
      let total = 0;
      for (const ns of [serverNs, clientNs]) {
        const out = execFileSync('ip', ['netns', 'exec', ns, 'iptables', '-L', 'INPUT', '-v', '-x', '-n']).toString();
        for (const line of out.split('\n')) {
          const cols = line.trim().split(/\s+/);
          if (cols[2] === 'DROP') total += Number(cols[0]);
        }
      }
      return total;
    },
    remove() {
      if (removed) return;
      removed = true;
      created.delete(pair);
      for (const ns of [serverNs, clientNs]) {
        try {
          // Deleting a namespace deletes its end of the veth (and so the peer) and its iptables tables.
          ip('netns', 'del', ns);
        } catch {
          // already gone
        }
      }
    },
  };
  created.add(pair);
  try {
    for (const ns of [serverNs, clientNs]) {
      try {
        ip('netns', 'del', ns); // a leftover of an earlier process that had the same pid
      } catch {
        // none
      }
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    ip('link', 'add', serverIf, 'netns', serverNs, 'type', 'veth', 'peer', 'name', clientIf, 'netns', clientNs);
    ip('-n', serverNs, 'addr', 'add', `${serverIp}/30`, 'dev', serverIf);
    ip('-n', clientNs, 'addr', 'add', `${clientIp}/30`, 'dev', clientIf);
    ip('-n', serverNs, 'link', 'set', serverIf, 'up');
    ip('-n', clientNs, 'link', 'set', clientIf, 'up');
  } catch (err) {
    pair.remove();
    throw err;
  }
  return pair;
}
