// The sniffer under test, driven the way users drive it: the CLI (`node ts/dist/cli.js`) as a child
// process, messages read from its stdout as JSON lines.
import type { HttpMessage } from '../../src/types';
import { Child, run, type Exit } from './process';
import { CLI, requireBuilt } from './paths';

export type Message = HttpMessage;

/** Parses JSON lines; a line that is not a JSON object is a contract violation (stdout holds messages only). */
export function parseMessages(lines: string[]): Message[] {
  return lines.map((line, i) => {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new Error(`stdout line ${i + 1} is not JSON: ${line.slice(0, 200)}`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`stdout line ${i + 1} is not an object`);
    return v as Message;
  });
}

export class LiveSniffer {
  readonly child: Child;

  /**
   * Starts `cli.js --interface IF --ports P,...` (inside a namespace when `prefix` is `ip netns exec NS`),
   * with `env` added to this process's environment.
   */
  constructor(iface: string, ports: number[], extra: string[] = [], prefix: string[] = [], env: Record<string, string> = {}) {
    requireBuilt();
    const argv = [...prefix, process.execPath, CLI, '--interface', iface, '--ports', ports.join(','), ...extra];
    this.child = new Child('sniffer', argv[0], argv.slice(1), { env: { ...process.env, ...env } });
  }

  messages(): Message[] {
    return parseMessages(this.child.lines);
  }

  /**
   * Waits until the capture really sees traffic: sends `probe()` (one request whose path contains
   * "probe") until a message for it comes out. Startup logs are not a contract; seeing a message is.
   */
  async waitUntilCapturing(probe: () => Promise<unknown>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const seen = () => this.child.lines.some((l) => l.includes('probe'));
    while (!seen()) {
      if (Date.now() > deadline) throw new Error(`the sniffer emitted nothing for probes in ${timeoutMs} ms:\n${this.child.tail()}`);
      await probe();
      await this.child.waitFor(seen, 1000, 'a probe message').catch((err: Error) => {
        if (!this.child.running) throw err;
      });
    }
  }

  /** Waits until at least `n` selected (by default: non-probe) messages came out (or `timeoutMs` passed; the check then says what is missing). */
  async waitForCount(n: number, timeoutMs = 30_000, select: (ms: Message[]) => Message[] = withoutProbes): Promise<void> {
    await this.child
      .waitFor(() => select(this.messages()).length >= n, timeoutMs, `${n} messages`)
      .catch(() => undefined);
  }

  /** SIGTERM: the CLI drains and must exit 0. */
  stop(): Promise<Exit> {
    return this.child.stop('SIGTERM');
  }
}

export function isProbe(m: Message): boolean {
  if (m.direction === 'request') return (m.path ?? '').includes('probe');
  return false;
}

/** Drops probe exchanges (the request and the responses on its connection with the same exchange). */
export function withoutProbes(messages: Message[]): Message[] {
  const probeKeys = new Set(messages.filter(isProbe).map((m) => `${m.connectionId}/${m.exchange}`));
  return messages.filter((m) => !probeKeys.has(`${m.connectionId}/${m.exchange}`));
}

/** `cli.js --read FILE [args]` to its end. */
export async function readCapture(file: string, extra: string[] = [], timeoutMs = 120_000) {
  requireBuilt(CLI);
  const r = await run('sniffer --read', process.execPath, [CLI, '--read', file, ...extra], { timeoutMs });
  return { ...r, messages: r.code === 0 || r.code === 2 ? parseMessages(r.stdout.split('\n').filter(Boolean)) : [] };
}
