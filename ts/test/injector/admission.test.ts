// Every golden admission case, end to end: the real injector binary over real HTTPS (certificate made
// by openssl for this run), the returned patch applied with a real RFC 6902 implementation
// (fast-json-patch), and the patched Pod validated against the Kubernetes object schemas.
//
// No Kubernetes API server can run on these machines; this is the part of its work that concerns the
// webhook: send the review, apply the patch, validate the object it would store.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';

import * as jsonpatch from 'fast-json-patch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FIXTURES, type Injector, decodePatch, makePki, request, startInjector, tempDir, type Pki } from './harness';
import { kubernetesProblems } from './k8s-schema';

const cases = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.review.json')).map((f) => f.replace(/\.review\.json$/, '')).sort();

let pki: Pki;
let dir: string;
const servers = new Map<string, Injector>(); // by options file ('' = defaults)
const agent = new https.Agent({ keepAlive: true, maxSockets: 2 });

async function serverFor(optionsFile: string): Promise<Injector> {
  let s = servers.get(optionsFile);
  if (!s) {
    s = await startInjector({
      certFile: path.join(dir, 'pki-tls.crt'), keyFile: path.join(dir, 'pki-tls.key'),
      optionsFile: optionsFile || undefined,
    });
    servers.set(optionsFile, s);
  }
  return s;
}

const readJson = (f: string) => JSON.parse(fs.readFileSync(f, 'utf8'));

beforeAll(() => {
  dir = tempDir('admission');
  pki = makePki(dir);
});

afterAll(async () => {
  agent.destroy();
  for (const s of servers.values()) expect(await s.stop()).toBe(0);
});

describe('golden admission cases over HTTPS', () => {
  it('has the fixture set', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases)('%s', async (name) => {
    const optionsFile = path.join(FIXTURES, `${name}.options.json`);
    const server = await serverFor(fs.existsSync(optionsFile) ? optionsFile : '');
    const options = fs.existsSync(optionsFile) ? readJson(optionsFile) : {};
    const reviewText = fs.readFileSync(path.join(FIXTURES, `${name}.review.json`), 'utf8');
    const review = JSON.parse(reviewText);

    const res = await request(server.port, pki.caCert, 'POST', '/mutate?timeout=10s', reviewText, { agent });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const answer = JSON.parse(res.body);
    expect(answer.apiVersion).toBe('admission.k8s.io/v1');
    expect(answer.kind).toBe('AdmissionReview');
    expect(answer.response.uid).toBe(review.request.uid);
    expect(answer.response.allowed).toBe(true);

    const patch = decodePatch(answer.response);
    expect(patch).toEqual(readJson(path.join(FIXTURES, `${name}.patch.json`)));
    expect(answer.response.warnings ?? []).toEqual(readJson(path.join(FIXTURES, `${name}.warnings.json`)));
    if (!patch) {
      expect(answer.response.patchType).toBeUndefined();
      return;
    }
    expect(answer.response.patchType).toBe('JSONPatch');

    const original = review.request.object;
    expect(kubernetesProblems(original)).toEqual([]);
    // validateOperation: every path must exist as RFC 6902 requires (no silent creation of parents).
    const patched = jsonpatch.applyPatch(original, patch as jsonpatch.Operation[], true, false).newDocument;
    expect(kubernetesProblems(patched)).toEqual([]);

    const sidecarName = options.sidecarName ?? 'tcp-sniffer';
    const all = [...(patched.spec.initContainers ?? []), ...patched.spec.containers];
    const sidecars = all.filter((c: any) => c.name === sidecarName);
    expect(sidecars).toHaveLength(1);
    const sidecar = sidecars[0];
    expect(sidecar.securityContext).toEqual({
      runAsUser: 0, runAsNonRoot: false, privileged: false, allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'], add: ['NET_RAW'] },
    });
    const env = Object.fromEntries(sidecar.env.map((e: any) => [e.name, e]));
    expect(env.PORTS.value).toMatch(/^\d+(,\d+)*$/);
    expect(env.POD_NAME.valueFrom.fieldRef.fieldPath).toBe('metadata.name');
    expect(env.NAMESPACE.valueFrom.fieldRef.fieldPath).toBe('metadata.namespace');
    expect(env.NODE_NAME.valueFrom.fieldRef.fieldPath).toBe('spec.nodeName');
    expect(env.POD_IP.valueFrom.fieldRef.fieldPath).toBe('status.podIP');
    const grace = patched.spec.terminationGracePeriodSeconds;
    expect(Number(env.DRAIN_TIMEOUT_MS.value)).toBe(Math.max(1000, (grace - 5) * 1000));
    if (options.tokenSecret === null) {
      expect(env.OUTPUT_URL_AUTH_TOKEN).toBeUndefined();
    } else {
      expect(env.OUTPUT_URL_AUTH_TOKEN.valueFrom.secretKeyRef.optional).toBe(true);
    }
    expect(patched.metadata.annotations['tcp-sniffer.io/injected']).toBe('true');
    if (original.spec.terminationGracePeriodSeconds !== undefined) {
      expect(grace).toBe(original.spec.terminationGracePeriodSeconds); // never overwritten
    }
    if (sidecar.restartPolicy === 'Always') {
      expect(patched.spec.initContainers[0].name).toBe(sidecarName); // native sidecar goes first
    }

    // Reinvocation (reinvocationPolicy: IfNeeded): the patched pod is left alone.
    const again = structuredClone(review);
    again.request.object = patched;
    const res2 = await request(server.port, pki.caCert, 'POST', '/mutate', JSON.stringify(again), { agent });
    const answer2 = JSON.parse(res2.body);
    expect(answer2.response.allowed).toBe(true);
    expect(answer2.response.patch).toBeUndefined();
  });
});

describe('size', () => {
  it('a 2 MiB review (a pod near the etcd object limit) is answered within the default 3 MiB limit', async () => {
    const server = await serverFor('');
    const review = readJson(path.join(FIXTURES, 'basic.review.json'));
    review.request.object.spec.containers[0].env = Array.from({ length: 2000 }, (_, i) => ({ name: `V${i}`, value: 'x'.repeat(1000) }));
    const body = JSON.stringify(review);
    expect(body.length).toBeGreaterThan(2_000_000);
    const res = await request(server.port, pki.caCert, 'POST', '/mutate', body);
    expect(res.status).toBe(200);
    const patch = decodePatch(JSON.parse(res.body).response);
    expect(patch).toEqual(readJson(path.join(FIXTURES, 'basic.patch.json')));
  });
});

