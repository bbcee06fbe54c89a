// Every manifest in deploy/ validated against the Kubernetes object schemas (and cert-manager's), with
// unknown fields rejected, and the pieces checked to fit together: the Service reaches the Deployment's
// port, the webhook calls that Service, cert-manager's certificate names it, the shipped options file is
// accepted by the real binary. No Kubernetes API server can run here, so the webhook's namespaceSelector
// is also evaluated by hand on the namespaces that matter.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';

import { REPO, makePki, startInjector, tempDir, type Injector } from './harness';
import { kindKey, kubernetesProblems } from './k8s-schema';

const DEPLOY = path.join(REPO, 'deploy');

function yamlFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(path.join(dir, e.name)) : e.name.endsWith('.yaml') ? [path.join(dir, e.name)] : []);
}

function load(file: string): any[] {
  const docs = parseAllDocuments(fs.readFileSync(file, 'utf8'));
  for (const d of docs) if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
  return docs.map((d) => d.toJS()).filter((d) => d !== null);
}

const files = yamlFiles(DEPLOY).filter((f) => path.basename(f) !== 'kustomization.yaml');
const objects = files.flatMap((f) => load(f).map((obj) => ({ file: path.relative(DEPLOY, f), obj })));
const find = (kind: string, name?: string) => {
  const found = objects.filter((o) => o.obj.kind === kind && (!name || o.obj.metadata.name === name));
  expect(found.length, `${kind} ${name ?? ''}`).toBeGreaterThan(0);
  return found[0].obj;
};

const started: Injector[] = [];
afterAll(async () => {
  for (const s of started) expect(await s.stop()).toBe(0);
});

describe('each manifest is a valid Kubernetes object', () => {
  it('found the manifests', () => {
    expect(objects.length).toBeGreaterThanOrEqual(12);
  });

  it.each(objects.map((o) => [`${o.file}: ${kindKey(o.obj)} ${o.obj.metadata?.name}`, o.obj]))('%s', (_label, obj) => {
    expect(kubernetesProblems(obj)).toEqual([]);
  });
});

describe('the kustomization', () => {
  const k = load(path.join(DEPLOY, 'kustomization.yaml'))[0];

  it('has only fields kustomize knows', () => {
    const known = ['apiVersion', 'kind', 'resources', 'images', 'labels', 'namespace', 'commonAnnotations', 'patches'];
    expect(Object.keys(k).filter((key) => !known.includes(key))).toEqual([]);
    expect(k.apiVersion).toBe('kustomize.config.k8s.io/v1beta1');
    expect(k.kind).toBe('Kustomization');
  });

  it('lists every manifest outside templates/, and only files that exist', () => {
    const listed = [...k.resources].sort();
    const onDisk = files.map((f) => path.relative(DEPLOY, f)).filter((f) => !f.startsWith('templates/')).sort();
    expect(listed).toEqual(onDisk);
  });

  it('maps the Deployment image', () => {
    const image = find('Deployment').spec.template.spec.containers[0].image as string;
    expect(k.images.map((i: any) => i.name)).toContain(image.split(':')[0]);
  });
});

describe('the pieces fit together', () => {
  const ns = find('Namespace').metadata.name;
  const deployment = find('Deployment');
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const service = find('Service');
  const webhookConfig = find('MutatingWebhookConfiguration');

  it('Deployment: 2 replicas, probes, resources, non-root, read-only root filesystem', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(container.readinessProbe.httpGet).toMatchObject({ path: '/readyz', scheme: 'HTTPS' });
    expect(container.livenessProbe.httpGet).toMatchObject({ path: '/healthz', scheme: 'HTTPS' });
    expect(container.resources.requests).toBeDefined();
    expect(container.resources.limits).toBeDefined();
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    // Selector matches the template.
    for (const [key, value] of Object.entries(deployment.spec.selector.matchLabels)) {
      expect(deployment.spec.template.metadata.labels[key]).toBe(value);
    }
  });

  it('Deployment: preStop plus the injector drain end before the grace period', () => {
    const options = JSON.parse(find('ConfigMap').data['options.json']);
    const preStop = Number(container.lifecycle.preStop.exec.command[1]);
    expect(preStop + options.server.drainTimeoutSeconds).toBeLessThan(pod.terminationGracePeriodSeconds);
  });

  it('Deployment mounts the serving Secret and the options the args name', () => {
    const args: string[] = container.args;
    const mountOf = (volume: string) => container.volumeMounts.find((m: any) => m.name === volume).mountPath;
    const tlsVolume = pod.volumes.find((v: any) => v.secret);
    expect(tlsVolume.secret.secretName).toBe(find('Certificate', 'tcp-sniffer-injector').spec.secretName);
    expect(args[args.indexOf('--tls-cert') + 1]).toBe(`${mountOf(tlsVolume.name)}/tls.crt`);
    expect(args[args.indexOf('--tls-key') + 1]).toBe(`${mountOf(tlsVolume.name)}/tls.key`);
    // A directory mount, not subPath: a subPath mount never sees the Secret's rotation.
    expect(container.volumeMounts.every((m: any) => m.subPath === undefined)).toBe(true);
    const optionsVolume = pod.volumes.find((v: any) => v.configMap);
    expect(optionsVolume.configMap.name).toBe(find('ConfigMap').metadata.name);
    expect(args[args.indexOf('--config') + 1]).toBe(`${mountOf(optionsVolume.name)}/options.json`);
  });

  it('the shipped options file is accepted by the real injector', async () => {
    const dir = tempDir('manifest-options');
    makePki(dir);
    const optionsFile = path.join(dir, 'options.json');
    fs.writeFileSync(optionsFile, find('ConfigMap').data['options.json']);
    const s = await startInjector({ certFile: path.join(dir, 'pki-tls.crt'), keyFile: path.join(dir, 'pki-tls.key'), optionsFile });
    started.push(s);
    expect(s.logs.find((l) => l.message === 'injector started')).toMatchObject({ sidecarName: 'tcp-sniffer' });
  });

  it('Service selects the Deployment and targets its named port', () => {
    for (const [key, value] of Object.entries(service.spec.selector)) {
      expect(deployment.spec.template.metadata.labels[key]).toBe(value);
    }
    const target = service.spec.ports[0].targetPort;
    expect(container.ports.map((p: any) => p.name)).toContain(target);
  });

  it('NetworkPolicy: only the API server source reaches the webhook port, nothing else', () => {
    const policy = find('NetworkPolicy');
    expect(policy.metadata.namespace).toBe(ns);
    expect(policy.spec.podSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress).toHaveLength(1);
    const [rule] = policy.spec.ingress;
    const webhookPort = container.ports.find((p: any) => p.name === service.spec.ports[0].targetPort);
    expect(rule.ports).toEqual([{ protocol: 'TCP', port: webhookPort.containerPort }]);
    // One ipBlock, the placeholder to set per cluster; never open to every pod or namespace.
    expect(rule.from).toEqual([{ ipBlock: { cidr: '192.0.2.1/32' } }]);
    const text = fs.readFileSync(path.join(DEPLOY, 'networkpolicy.yaml'), 'utf8');
    expect(text).toContain('# API_SERVER_CIDR'); // the marker scripts/e2e-cluster.sh replaces
  });

  it('PodDisruptionBudget keeps one replica of the Deployment', () => {
    const pdb = find('PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });

  it('every webhook: v1 reviews, no side effects, a timeout, a failure policy, reinvocation, the Service', () => {
    expect(webhookConfig.webhooks.length).toBeGreaterThanOrEqual(1);
    for (const w of webhookConfig.webhooks) {
      expect(w.admissionReviewVersions).toEqual(['v1']);
      expect(w.sideEffects).toBe('None');
      expect(w.timeoutSeconds).toBeGreaterThan(0);
      expect(w.timeoutSeconds).toBeLessThanOrEqual(10);
      expect(['Ignore', 'Fail']).toContain(w.failurePolicy);
      expect(w.reinvocationPolicy).toBe('IfNeeded');
      expect(w.objectSelector.matchLabels).toEqual({ 'tcp-sniffer.io/inject': 'true' });
      expect(w.rules).toEqual([{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }]);
      expect(w.clientConfig.service).toEqual({ name: service.metadata.name, namespace: ns, path: '/mutate', port: service.spec.ports[0].port });
    }
  });

  it('cert-manager: CA injected from a Certificate that names the Service', () => {
    const [certNs, certName] = webhookConfig.metadata.annotations['cert-manager.io/inject-ca-from'].split('/');
    const cert = find('Certificate', certName);
    expect(cert.metadata.namespace).toBe(certNs);
    expect(cert.spec.dnsNames).toContain(`${service.metadata.name}.${ns}.svc`);
    const issuer = find('Issuer', cert.spec.issuerRef.name);
    expect(issuer.spec.ca.secretName).toBe(find('Certificate', 'tcp-sniffer-injector-ca').spec.secretName);
  });

  it('token Secret template: the name and key the injector defaults to', () => {
    const secret = find('Secret');
    expect(secret.metadata.name).toBe('tcp-sniffer-token');
    expect(Object.keys(secret.stringData)).toEqual(['token']);
  });

  // The API server's label-selector semantics, for the namespaces that matter.
  function matches(selector: any, labels: Record<string, string>): boolean {
    for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
    for (const e of selector.matchExpressions ?? []) {
      const has = e.key in labels;
      const ok = e.operator === 'In' ? has && e.values.includes(labels[e.key])
        : e.operator === 'NotIn' ? !has || !e.values.includes(labels[e.key])
        : e.operator === 'Exists' ? has : !has;
      if (!ok) return false;
    }
    return true;
  }
  const callers = (labels: Record<string, string>) =>
    webhookConfig.webhooks.filter((w: any) => matches(w.namespaceSelector, labels)).length;

  it.each([
    ['kube-system', { 'kubernetes.io/metadata.name': 'kube-system' }, 0],
    ['the injector namespace', { 'kubernetes.io/metadata.name': 'tcp-sniffer-system', 'pod-security.kubernetes.io/enforce': 'restricted' }, 0],
    ['an unlabelled app namespace', { 'kubernetes.io/metadata.name': 'shop' }, 1],
    ['a privileged app namespace', { 'kubernetes.io/metadata.name': 'shop', 'pod-security.kubernetes.io/enforce': 'privileged' }, 1],
    ['a baseline namespace', { 'kubernetes.io/metadata.name': 'shop', 'pod-security.kubernetes.io/enforce': 'baseline' }, 0],
    ['a restricted namespace', { 'kubernetes.io/metadata.name': 'shop', 'pod-security.kubernetes.io/enforce': 'restricted' }, 0],
    ['a restricted namespace opted in (PSA-exempt)', { 'kubernetes.io/metadata.name': 'shop', 'pod-security.kubernetes.io/enforce': 'restricted', 'tcp-sniffer.io/psa-exempt': 'true' }, 1],
  ])('namespaceSelector: %s is called by %i webhook(s)', (_name, labels, expected) => {
    expect(callers(labels as Record<string, string>)).toBe(expected);
  });
});
