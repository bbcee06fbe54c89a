// The sidecar image as Kubernetes runs it: read-only root, every capability dropped but NET_RAW, in the
// pod's network namespace (here one made by the test), stopped with SIGTERM. And offline, the image's
// decoder gives exactly the host CLI's output on the same capture.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordLoopbackCapture } from '../helpers/capture';
import { checkExchanges, expectedMessageCount, onConnectionsOf } from '../helpers/exchanges';
import { buildImages, ENGINE, engine, engineEnv, INJECTOR_IMAGE, netnsPath, removeContainer, SNIFFER_IMAGE } from '../helpers/images';
import { REPO_DIR } from '../helpers/paths';
import { createNetnsPair, type NetnsPair } from '../helpers/netns';
import { Child, killAll } from '../helpers/process';
import { runClient, startNodeServer, type Server } from '../helpers/servers';
import { parseMessages, readCapture } from '../helpers/sniffer';

const MAX_BODY = 65536;
const NET_RAW_ONLY = '0000000000002000'; // CapEff with only CAP_NET_RAW (bit 13)
let work: string;
const containers: string[] = [];

function containerName(what: string): string {
  const name = `tsn-img-${what}-${process.pid}`;
  containers.push(name);
  return name;
}

beforeAll(async () => {
  const report = await buildImages();
  console.log(report.trim());
  work = mkdtempSync(path.join(os.tmpdir(), 'tsn-img-'));
}, 1_800_000); // from nothing: the base image from Debian's archive, then both images

afterAll(async () => {
  for (const c of containers) removeContainer(c);
  await killAll();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the sniffer image', () => {
  it('decodes a capture exactly as the host CLI does, with no network and a read-only root', async () => {
    const capture = path.join(work, 'capture.pcap');
    const { truth, port } = await recordLoopbackCapture(capture, 'small', MAX_BODY);
    const host = await readCapture(capture);
    expect(host.code, host.stderr).toBe(0);
    const r = await engine(['run', '--rm', '--name', containerName('read'), '--network', 'none', '--read-only',
      '--cap-drop', 'ALL', '-v', `${work}:/data:ro`, SNIFFER_IMAGE, '--read', '/data/capture.pcap'], 180_000);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines).toEqual(host.stdout.split('\n').filter(Boolean));
    expect(checkExchanges(truth, parseMessages(lines), { server: { ip: '127.0.0.1', port }, clientIp: '127.0.0.1', maxBodySize: MAX_BODY }))
      .toEqual([]);
  });

  it('holds no copy of the build secret (a TLS proxy\'s CA), nor does the injector image', async () => {
    const secret = readFileSync(path.join(REPO_DIR, 'build/image/npm_ca.pem'));
    if (process.env.NODE_EXTRA_CA_CERTS) expect(secret.length).toBeGreaterThan(0);
    const digest = createHash('sha256').update(secret).digest('hex');
    for (const image of [SNIFFER_IMAGE, INJECTOR_IMAGE]) {
      const r = await engine(['run', '--rm', '--network', 'none', '--user', '0', '--entrypoint', '/bin/sh', image, '-c',
        'find / -xdev -type f -size +0 -exec sha256sum {} + | cut -d" " -f1'], 180_000);
      expect(r.code, r.stderr).toBe(0);
      const hashes = r.stdout.split('\n').filter(Boolean);
      expect(hashes.length).toBeGreaterThan(100);
      expect(hashes).not.toContain(digest);
    }
  });

  describe('live, in a network namespace with only NET_RAW', () => {
    let pair: NetnsPair;
    let server: Server;

    beforeAll(async () => {
      pair = createNetnsPair('img', 61);
      server = await startNodeServer(pair.serverIp, pair.inNs(pair.serverNs));
    });

    afterAll(async () => {
      await server?.child.stop('SIGTERM', 5000);
      pair?.remove();
    });

    it('cannot capture without NET_RAW: exit 2 with the permission error', async () => {
      const r = await engine(['run', '--rm', '--name', containerName('nocap'), '--network', `ns:${netnsPath(pair.serverNs)}`,
        '--read-only', '--read-only-tmpfs=false', '--cap-drop', 'ALL', SNIFFER_IMAGE, '--interface', pair.serverIf, '--ports', String(server.port)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/permission|Operation not permitted/i);
    });

    it('captures every exchange exactly, holds only NET_RAW as root on a read-only root, and drains on SIGTERM with exit 0', async () => {
      const name = containerName('live');
      const sniffer = new Child('sniffer container', ENGINE, ['run', '--rm', '--name', name,
        '--network', `ns:${netnsPath(pair.serverNs)}`, '--read-only', '--read-only-tmpfs=false', '--cap-drop', 'ALL', '--cap-add', 'NET_RAW',
        '-e', 'POD_NAME=web-0', '-e', 'NAMESPACE=shop',
        SNIFFER_IMAGE, '--interface', pair.serverIf, '--ports', String(server.port)], { env: engineEnv() });
      const base = `http://${pair.serverIp}:${server.port}`;
      const probe = () => runClient(base, 'probe', 0, pair.inNs(pair.clientNs)).catch(() => undefined);
      const seen = () => sniffer.lines.some((l) => l.includes('probe'));
      const deadline = Date.now() + 90_000;
      while (!seen()) {
        if (!sniffer.running) throw new Error(`the container exited:\n${sniffer.tail()}`);
        if (Date.now() > deadline) throw new Error(`no probe message in 90 s:\n${sniffer.tail()}`);
        await probe();
        await sniffer.waitFor(seen, 1000, 'a probe message').catch(() => undefined);
      }

      const status = await engine(['exec', name, 'cat', '/proc/1/status']);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(new RegExp(`^CapEff:\\s+${NET_RAW_ONLY}$`, 'm'));
      expect(status.stdout).toMatch(/^Uid:\s+0\s/m);
      const write = await engine(['exec', name, 'touch', '/opt/tcp-sniffer/written']);
      expect(write.code).not.toBe(0);
      expect(write.stderr).toMatch(/Read-only file system/);

      const truth = await runClient(base, 'small', MAX_BODY, pair.inNs(pair.clientNs));
      await sniffer.waitFor(() => onConnectionsOf(truth, parseMessages(sniffer.lines)).length >= expectedMessageCount(truth),
        60_000, 'every message').catch(() => undefined);
      const exit = await sniffer.stop('SIGTERM', 60_000);
      expect(exit.code, sniffer.tail()).toBe(0);
      expect(sniffer.stderr).toMatch(/"message":"stopped"/);

      const messages = onConnectionsOf(truth, parseMessages(sniffer.lines));
      expect(checkExchanges(truth, messages, { server: { ip: pair.serverIp, port: server.port }, clientIp: pair.clientIp,
        maxBodySize: MAX_BODY })).toEqual([]);
      for (const m of messages) expect(m.placement).toEqual({ pod: 'web-0', namespace: 'shop' });
    }, 300_000);
  });
});
