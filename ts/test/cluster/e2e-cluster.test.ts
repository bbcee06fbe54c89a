// What scripts/e2e-cluster.sh can have checked without a cluster: that it says "skipped" with status 77
// where none is reachable (and changes nothing), and that the workload it creates is valid Kubernetes and
// is injected by the real injector with the options deploy/ ships.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as jsonpatch from 'fast-json-patch';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePatch, FIXTURES, makePki, REPO, request, startInjector, tempDir, type Injector, type Pki } from '../injector/harness';
import { kubernetesProblems } from '../injector/k8s-schema';
import { run } from '../helpers/process';

const VERSION = JSON.parse(fs.readFileSync(path.join(REPO, 'ts/package.json'), 'utf8')).version;
const SCRIPT = path.join(REPO, 'scripts/e2e-cluster.sh');
let dir: string;
let pki: Pki;
let injector: Injector;

function workload(ns: string): any[] {
  const text = fs.readFileSync(path.join(REPO, 'tests/cluster/workload.yaml'), 'utf8')
    .replaceAll('__NAMESPACE__', ns).replaceAll('__IMAGE__', `tcp-sniffer:${VERSION}`);
  return parseAllDocuments(text).map((d) => d.toJS());
}

function review(pod: any): any {
  const r = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'basic.review.json'), 'utf8'));
  r.request.uid = `e2e-${pod.metadata.name}`;
  r.request.name = pod.metadata.name;
  r.request.namespace = pod.metadata.namespace;
  r.request.object = pod;
  return r;
}

beforeAll(async () => {
  dir = tempDir('cluster');
  pki = makePki(dir);
  // The options file deploy/ ships, as the cluster's injector reads it.
  const configMap = parseAllDocuments(fs.readFileSync(path.join(REPO, 'deploy/configmap.yaml'), 'utf8'))[0].toJS();
  const optionsFile = path.join(dir, 'options.json');
  fs.writeFileSync(optionsFile, configMap.data['options.json']);
  injector = await startInjector({ certFile: path.join(dir, 'pki-tls.crt'), keyFile: path.join(dir, 'pki-tls.key'), optionsFile });
});

afterAll(async () => {
  if (injector) expect(await injector.stop()).toBe(0);
});

describe('scripts/e2e-cluster.sh', () => {
  it('exits 77 and says it skipped where no cluster is reachable', async () => {
    // A kubeconfig naming an API server on a port nothing listens on.
    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: none',
      'clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]',
      'contexts: [{name: none, context: {cluster: none, user: none}}]',
      'users: [{name: none, user: {token: x}}]', ''].join('\n'));
    const r = await run('e2e-cluster.sh', SCRIPT, [], { env: { ...process.env, KUBECONFIG: kubeconfig }, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(77);
    expect(r.stderr).toMatch(/^e2e-cluster: skipped: (kubectl is not installed|no Kubernetes cluster is reachable)/m);
    expect(r.stdout).toBe('');
  });

  it('finds the image references it rewrites in deploy/, at the package version image.sh tags', () => {
    const deployment = fs.readFileSync(path.join(REPO, 'deploy/deployment.yaml'), 'utf8');
    const configMap = fs.readFileSync(path.join(REPO, 'deploy/configmap.yaml'), 'utf8');
    const kustomization = fs.readFileSync(path.join(REPO, 'deploy/kustomization.yaml'), 'utf8');
    expect(deployment).toMatch(new RegExp(`^\\s+image: tcp-sniffer-injector:${VERSION.replaceAll('.', '\\.')}$`, 'm'));
    expect(configMap).toContain(`"image": "tcp-sniffer:${VERSION}"`);
    expect(kustomization).toMatch(new RegExp(`newTag: ${VERSION.replaceAll('.', '\\.')}$`, 'm'));
  });

  it('creates a valid workload: the labelled server pod gets the sidecar with its port, the client pod is left alone', async () => {
    const [web, client] = workload('tsn-e2e-1');
    for (const pod of [web, client]) expect(kubernetesProblems(pod), pod.metadata.name).toEqual([]);

    const res = await request(injector.port, pki.caCert, 'POST', '/mutate', JSON.stringify(review(web)));
    expect(res.status).toBe(200);
    const answer = JSON.parse(res.body);
    expect(answer.response.allowed).toBe(true);
    expect(answer.response.warnings ?? []).toEqual([]);
    const patched = jsonpatch.applyPatch(structuredClone(web), decodePatch(answer.response) as jsonpatch.Operation[], true, false).newDocument;
    expect(kubernetesProblems(patched)).toEqual([]);
    const sidecar = patched.spec.containers.find((c: any) => c.name === 'tcp-sniffer');
    expect(sidecar.image).toBe(`tcp-sniffer:${VERSION}`);
    const env = Object.fromEntries(sidecar.env.map((e: any) => [e.name, e]));
    expect(env.PORTS.value).toBe('8080');
    expect(env.DRAIN_TIMEOUT_MS.value).toBe(String((web.spec.terminationGracePeriodSeconds - 5) * 1000));

    const res2 = await request(injector.port, pki.caCert, 'POST', '/mutate', JSON.stringify(review(client)));
    expect(decodePatch(JSON.parse(res2.body).response)).toBeNull();
  });
});
