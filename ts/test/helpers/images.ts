// The project's container images for tests: built by scripts/image.sh (from the host's build, as CI has
// just built it, or from source with IMAGES_FROM=source) and run with podman. REQUIRES: root and podman
// (scripts/install-deps.sh installs it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { run } from './process';
import { REPO_DIR, TS_DIR } from './paths';

export const VERSION: string = JSON.parse(readFileSync(path.join(TS_DIR, 'package.json'), 'utf8')).version;
export const SNIFFER_IMAGE = `tcp-sniffer:${VERSION}`;
export const INJECTOR_IMAGE = `tcp-sniffer-injector:${VERSION}`;

/**
 * The tests run podman (installed by install-deps), whatever image.sh would pick by itself: joining a
 * namespace made with `ip netns add` (`--network ns:PATH`) is podman's, not docker's.
 */
export const ENGINE = 'podman';

/** podman reads the project's containers.conf (runc, cgroupfs, ulimits). */
export function engineEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? path.join(REPO_DIR, 'scripts/containers.conf') };
}

/** Which build the images hold: `host` (the host's, the default) or `source` (IMAGES_FROM=source). */
export const IMAGES_FROM = process.env.IMAGES_FROM ?? 'host';
if (IMAGES_FROM !== 'host' && IMAGES_FROM !== 'source') {
  throw new Error(`IMAGES_FROM must be host or source, not ${JSON.stringify(IMAGES_FROM)}`);
}

/**
 * Builds both images with scripts/image.sh --from-host (or --from-source). Test files run in parallel: a
 * lock serialises the builds, and the second one is all cache hits. Returns image.sh's report (names,
 * sizes, seconds).
 */
export async function buildImages(): Promise<string> {
  mkdirSync(path.join(REPO_DIR, 'build/image'), { recursive: true });
  const r = await run('image.sh', 'flock', [path.join(REPO_DIR, 'build/image/lock'), './scripts/image.sh', `--from-${IMAGES_FROM}`],
    { cwd: REPO_DIR, env: { ...engineEnv(), ENGINE }, timeoutMs: 1_500_000 });
  if (r.code !== 0) throw new Error(`scripts/image.sh failed (${r.code} ${r.signal ?? ''}):\n${r.stderr.slice(-6000)}`);
  return r.stdout;
}

/** `ENGINE args…` to its end. */
export function engine(args: string[], timeoutMs = 120_000) {
  return run(`${ENGINE} ${args[0]}`, ENGINE, args, { env: engineEnv(), timeoutMs });
}

/** Removes a container if it exists (cleanup after a failed assertion). */
export function removeContainer(name: string): void {
  try {
    execFileSync(ENGINE, ['rm', '-f', name], { env: engineEnv(), stdio: 'ignore', timeout: 60_000 });
  } catch {
    // not there
  }
}

/** The netns path `--network ns:` takes for a namespace made with `ip netns add`. */
export function netnsPath(ns: string): string {
  return `/run/netns/${ns}`;
}
