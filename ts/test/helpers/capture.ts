// Capture files made from real traffic: tcpdump on loopback while the real client talks to the real server.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Child, run } from './process';
import { runClient, startNodeServer, type Exchange } from './servers';

/** A running tcpdump writing `file`; `stop()` flushes and closes it. */
export class Tcpdump {
  readonly child: Child;

  constructor(readonly file: string, iface: string, filter: string[]) {
    // Immediate mode: without it packets wait in the kernel's ring block until its timeout, and a stop
    // soon after the traffic loses them uncounted. -U: write each packet as it comes; -s 0: whole
    // frames; a large kernel buffer (-B, KiB) so tcpdump keeps up with loopback at full speed.
    this.child = new Child('tcpdump', 'tcpdump',
      ['-i', iface, '--immediate-mode', '-U', '-s', '0', '-B', '262144', '-w', file, ...filter]);
  }

  async ready(): Promise<void> {
    await this.child.waitFor(() => this.child.stderr.includes('listening on'), 15_000, 'tcpdump to listen');
  }

  /** Stops tcpdump; throws when it reports that the kernel dropped packets (the capture would have holes). */
  async stop(): Promise<void> {
    // SIGINT ends tcpdump at once, and packets still in the kernel's buffer are lost without being
    // counted as dropped. On a loaded machine tcpdump can lag the traffic by seconds: wait until the
    // file (written per packet, -U) has stopped growing for a second.
    let size = -1;
    let stableSince = Date.now();
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const now = existsSync(this.file) ? statSync(this.file).size : 0;
      if (now !== size) {
        size = now;
        stableSince = Date.now();
      } else if (Date.now() - stableSince >= 1000) {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const exit = await this.child.stop('SIGINT');
    if (exit.code !== 0) throw new Error(`tcpdump exited ${exit.code}: ${this.child.tail()}`);
    const dropped = /(\d+) packets? dropped by kernel/.exec(this.child.stderr);
    if (dropped && Number(dropped[1]) > 0) throw new Error(`tcpdump: ${dropped[0]}`);
  }
}

/** Records `plan` of traffic-client.mjs against a fresh node server on loopback into `file`. */
export async function recordLoopbackCapture(file: string, plan: string, prefixBytes = 65536):
  Promise<{ truth: Exchange[]; port: number }> {
  const server = await startNodeServer('127.0.0.1');
  try {
    const dump = new Tcpdump(file, 'lo', ['tcp', 'port', String(server.port)]);
    await dump.ready();
    const truth = await runClient(`http://127.0.0.1:${server.port}`, plan, prefixBytes);
    await dump.stop();
    return { truth, port: server.port };
  } finally {
    await server.child.stop('SIGTERM', 5000);
  }
}

/**
 * Records the `full` plan into `<work>/capture.pcap` and splits it with tcpflow into `<work>/flows`
 * (one file per direction of each connection), for the suites that compare decoding paths.
 */
export async function recordTcpflowStreams(work: string):
  Promise<{ pcap: string; flows: string; truth: Exchange[]; port: number }> {
  const pcap = join(work, 'capture.pcap');
  const flows = join(work, 'flows');
  mkdirSync(flows);
  const { truth, port } = await recordLoopbackCapture(pcap, 'full');
  const tf = await run('tcpflow', 'tcpflow', ['-r', pcap, '-o', flows]);
  if (tf.code !== 0) throw new Error(`tcpflow exited ${tf.code}: ${tf.stderr}`);
  return { pcap, flows, truth, port };
}
