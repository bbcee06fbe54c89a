// The validator used by the other injector tests must itself be able to fail: a misspelt field, a wrong
// type and a missing required field are each caught. (No Kubernetes API server can run here; this is
// what stands in for its validation.)
import { describe, expect, it } from 'vitest';

import { kubernetesProblems } from './k8s-schema';

const pod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', labels: { a: 'b' }, managedFields: [{ fieldsV1: { 'f:metadata': { '.': {} } } }] },
  spec: {
    containers: [{
      name: 'c', image: 'i', ports: [{ containerPort: 80 }],
      resources: { limits: { cpu: '1', memory: '1Gi' } },
      securityContext: { capabilities: { add: ['NET_RAW'], drop: ['ALL'] } },
      env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: true } } }],
    }],
  },
});

describe('kubernetes object validation', () => {
  it('accepts a valid pod, maps and open objects included', () => {
    expect(kubernetesProblems(pod())).toEqual([]);
  });

  it('rejects a misspelt field deep in a container', () => {
    const p: any = pod();
    p.spec.containers[0].securityContext.capabilites = {};
    expect(kubernetesProblems(p)).toEqual(['unknown field /spec/containers/0/securityContext/capabilites']);
  });

  it('rejects an unknown field in an env source', () => {
    const p: any = pod();
    p.spec.containers[0].env[0].valueFrom.secretKeyRef.namespace = 'other';
    expect(kubernetesProblems(p)).toEqual(['unknown field /spec/containers/0/env/0/valueFrom/secretKeyRef/namespace']);
  });

  it('rejects a wrong type through the schema', () => {
    const p: any = pod();
    p.spec.containers[0].ports[0].containerPort = 'eighty';
    expect(kubernetesProblems(p).some((m) => m.startsWith('schema:'))).toBe(true);
  });

  it('rejects a missing required field through the schema', () => {
    const p: any = pod();
    delete p.spec.containers[0].name;
    expect(kubernetesProblems(p).some((m) => m.startsWith('schema:'))).toBe(true);
  });
});
