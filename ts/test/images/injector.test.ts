// The injector image as deploy/deployment.yaml runs it: a non-root user, no capability, a read-only root
// (no writable /tmp either: podman's --read-only adds one, Kubernetes' readOnlyRootFilesystem does not),
// the serving certificate mounted read-only. Reached over TLS (verified against the test's CA) from
// inside the network namespace the container lives in; stopped with SIGTERM.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImages, engine, INJECTOR_IMAGE, netnsPath, removeContainer, SNIFFER_IMAGE } from '../helpers/images';
import { createNetnsPair, type NetnsPair } from '../helpers/netns';
import { run } from '../helpers/process';
import { REPO_DIR } from '../helpers/paths';
import { makePki } from '../injector/harness';

const FIXTURES = path.join(REPO_DIR, 'fixtures/admission');
let work: string;
let pair: NetnsPair;
const name = `tsn-img-injector-${process.pid}`;

/** curl inside the container's namespace, verifying the server against the test's CA. */
function curl(args: string[]) {
  return run('curl', 'ip', ['netns', 'exec', pair.serverNs, 'curl', '-sS', '--max-time', '10',
    '--cacert', path.join(work, 'ca.crt'), ...args]);
}

beforeAll(async () => {
  const report = await buildImages();
  console.log(report.trim());
  work = mkdtempSync(path.join(os.tmpdir(), 'tsn-img-inj-'));
  const pki = makePki(work);
  writeFileSync(path.join(work, 'ca.crt'), pki.caCert);
  // The container's user (65532) reads the pair, as it reads a Secret volume (mode 0644 by default).
  const tls = path.join(work, 'tls');
  mkdirSync(tls);
  writeFileSync(path.join(tls, 'tls.crt'), pki.cert, { mode: 0o644 });
  writeFileSync(path.join(tls, 'tls.key'), pki.key, { mode: 0o644 });
  chmodSync(work, 0o755);
  chmodSync(tls, 0o755);

  pair = createNetnsPair('inj', 62);
  const r = await engine(['run', '-d', '--name', name, '--network', `ns:${netnsPath(pair.serverNs)}`, '--read-only', '--read-only-tmpfs=false',
    '--cap-drop', 'ALL', '-v', `${tls}:/etc/tcp-sniffer-injector/tls:ro`, INJECTOR_IMAGE,
    '--listen', '0.0.0.0:8443', '--tls-cert', '/etc/tcp-sniffer-injector/tls/tls.crt',
    '--tls-key', '/etc/tcp-sniffer-injector/tls/tls.key']);
  if (r.code !== 0) throw new Error(`the injector container did not start: ${r.stderr}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const h = await curl(['-o', '/dev/null', '-w', '%{http_code}', 'https://127.0.0.1:8443/healthz']);
    if (h.stdout.trim() === '200') break;
    if (Date.now() > deadline) {
      const logs = await engine(['logs', name]);
      throw new Error(`no healthy injector in 60 s: ${h.stderr}\n${logs.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}, 1_800_000); // from nothing: the base image from Debian's archive, then both images

afterAll(async () => {
  removeContainer(name);
  pair?.remove();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the injector image', () => {
  it('serves /healthz over TLS with the mounted certificate', async () => {
    const h = await curl(['-o', '/dev/null', '-w', '%{http_code} %{ssl_verify_result}', 'https://127.0.0.1:8443/healthz']);
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout.trim()).toBe('200 0');
    const plain = await run('plain http', 'ip', ['netns', 'exec', pair.serverNs, 'curl', '-sS', '--max-time', '5',
      '-o', '/dev/null', '-w', '%{http_code}', 'http://127.0.0.1:8443/healthz']);
    expect(plain.stdout.trim()).not.toBe('200');
  });

  it('runs as user 65532 with no capability on a read-only root', async () => {
    const status = await engine(['exec', name, 'cat', '/proc/1/status']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^Uid:\s+65532\s+65532\s+65532\s+65532$/m);
    expect(status.stdout).toMatch(/^CapEff:\s+0000000000000000$/m);
    const write = await engine(['exec', name, 'touch', '/tmp/written']);
    expect(write.code).not.toBe(0);
    expect(write.stderr).toMatch(/Read-only file system/);
  });

  it('answers an AdmissionReview with the golden patch, which adds the sidecar image image.sh built', async () => {
    const review = JSON.parse(readFileSync(path.join(FIXTURES, 'basic.review.json'), 'utf8'));
    const r = await curl(['-H', 'Content-Type: application/json', '--data-binary', `@${path.join(FIXTURES, 'basic.review.json')}`,
      'https://127.0.0.1:8443/mutate?timeout=10s']);
    expect(r.code, r.stderr).toBe(0);
    const answer = JSON.parse(r.stdout);
    expect(answer).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
      response: { uid: review.request.uid, allowed: true, patchType: 'JSONPatch' } });
    const patch = JSON.parse(Buffer.from(answer.response.patch, 'base64').toString('utf8'));
    expect(patch).toEqual(JSON.parse(readFileSync(path.join(FIXTURES, 'basic.patch.json'), 'utf8')));
    const sidecar = patch.find((op: { path: string }) => op.path.startsWith('/spec/containers/'));
    expect(sidecar.value.image).toBe(SNIFFER_IMAGE);
  });

  it('drains on SIGTERM and exits 0', async () => {
    const stop = await engine(['stop', '-t', '40', name], 90_000);
    expect(stop.code, stop.stderr).toBe(0);
    const exit = await engine(['inspect', '--format', '{{.State.ExitCode}}', name]);
    expect(exit.stdout.trim()).toBe('0');
    const logs = await engine(['logs', name]);
    expect(logs.stderr + logs.stdout).toMatch(/"message":"injector started"/);
  });
});
