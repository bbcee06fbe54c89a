// Child processes for tests: line-by-line stdout, captured stderr, an exit promise, waits with deadlines,
// and a registry so nothing a test started outlives the test file, even when an assertion fails midway.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Child {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<Exit>;
  private waiters: Array<() => void> = [];

  constructor(readonly label: string, cmd: string, args: string[], opts: SpawnOptions = {}) {
    this.proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    live.add(this);
    // Pieces of the line not yet ended; joined once at its newline (appending to one string would be
    // quadratic on a multi-megabyte line).
    let partial: string[] = [];
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (chunk: string) => {
      let start = 0;
      for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
        partial.push(chunk.slice(start, nl));
        const line = partial.join('');
        partial = [];
        if (line.length) this.lines.push(line);
        start = nl + 1;
      }
      if (start < chunk.length) partial.push(chunk.slice(start));
      this.wake();
    });
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (chunk: string) => {
      // Bounded: a runaway child must not grow the test process.
      if (this.stderr.length < 4 << 20) this.stderr += chunk;
      this.wake();
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('close', (code, signal) => {
        if (partial.length) this.lines.push(partial.join(''));
        live.delete(this);
        this.wake();
        resolve({ code, signal });
      });
      this.proc.on('error', (err) => {
        this.stderr += `spawn failed: ${err.message}\n`;
      });
    });
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when `ready()` is true; rejects after `timeoutMs` or when the child exits first. */
  async waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (!this.running) throw new Error(`${this.label} exited while waiting for ${what}; stderr:\n${this.tail()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.label}: timed out after ${timeoutMs} ms waiting for ${what}; stderr:\n${this.tail()}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs`. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 30_000): Promise<Exit> {
    if (this.running) this.proc.kill(signal);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  tail(chars = 3000): string {
    return this.stderr.slice(-chars);
  }
}

const live = new Set<Child>();
process.on('exit', () => {
  for (const c of live) c.proc.kill('SIGKILL');
});

/** Kills every child still running (an afterAll safety net; tests stop their own children first). */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop('SIGKILL', 1000)));
}

/** Runs a command to its end; resolves with its output whatever the exit code. */
export async function run(label: string, cmd: string, args: string[], opts: SpawnOptions & { timeoutMs?: number } = {}):
  Promise<Exit & { stdout: string; stderr: string; timedOut: boolean }> {
  const child = new Child(label, cmd, args, opts);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.proc.kill('SIGKILL');
  }, opts.timeoutMs ?? 120_000);
  const exit = await child.exited;
  clearTimeout(timer);
  return { ...exit, stdout: child.lines.join('\n') + (child.lines.length ? '\n' : ''), stderr: child.stderr, timedOut };
}
