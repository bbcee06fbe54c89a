// Validation of Kubernetes objects without an API server (none can run on these machines): the
// kubernetes-models validators (JSON schemas of the API) plus a check for unknown fields, which those
// validators ignore but a real API server would reject (or silently drop).
//
// Unknown fields are found by walking the object against the TypeScript types that kubernetes-models
// ships (generated from the same OpenAPI schemas), read with the TypeScript compiler API.
import * as path from 'node:path';
import ts from 'typescript';

import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Pod } from 'kubernetes-models/v1/Pod';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { MutatingWebhookConfiguration } from 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration';
import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import { Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer';

interface Kind {
  model: new (data: any) => { validate(): void };
  typeModule: string;
  typeName: string;
}

const KINDS: Record<string, Kind> = {
  'v1/Namespace': { model: Namespace, typeModule: 'kubernetes-models/v1/Namespace', typeName: 'INamespace' },
  'v1/Pod': { model: Pod, typeModule: 'kubernetes-models/v1/Pod', typeName: 'IPod' },
  'v1/Service': { model: Service, typeModule: 'kubernetes-models/v1/Service', typeName: 'IService' },
  'v1/ServiceAccount': { model: ServiceAccount, typeModule: 'kubernetes-models/v1/ServiceAccount', typeName: 'IServiceAccount' },
  'v1/ConfigMap': { model: ConfigMap, typeModule: 'kubernetes-models/v1/ConfigMap', typeName: 'IConfigMap' },
  'v1/Secret': { model: Secret, typeModule: 'kubernetes-models/v1/Secret', typeName: 'ISecret' },
  'apps/v1/Deployment': { model: Deployment, typeModule: 'kubernetes-models/apps/v1/Deployment', typeName: 'IDeployment' },
  'policy/v1/PodDisruptionBudget': {
    model: PodDisruptionBudget, typeModule: 'kubernetes-models/policy/v1/PodDisruptionBudget', typeName: 'IPodDisruptionBudget',
  },
  'networking.k8s.io/v1/NetworkPolicy': {
    model: NetworkPolicy, typeModule: 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy', typeName: 'INetworkPolicy',
  },
  'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration': {
    model: MutatingWebhookConfiguration,
    typeModule: 'kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration',
    typeName: 'IMutatingWebhookConfiguration',
  },
  'cert-manager.io/v1/Certificate': {
    model: Certificate, typeModule: '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate', typeName: 'ICertificate',
  },
  'cert-manager.io/v1/Issuer': {
    model: Issuer, typeModule: '@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer', typeName: 'IIssuer',
  },
};

let checker: ts.TypeChecker | undefined;
const rootTypes = new Map<string, ts.Type>();

// One program over a virtual file naming every root type; built once per test file (~1 s).
function typeOf(kindKey: string): ts.Type {
  if (!checker) {
    const tsRoot = path.resolve(__dirname, '../..');
    const virtualFile = path.join(tsRoot, 'test/injector/__k8s_roots__.ts');
    const entries = Object.entries(KINDS);
    const source =
      entries.map(([, k], i) => `import type { ${k.typeName} as T${i} } from '${k.typeModule}';`).join('\n') +
      '\nexport declare const roots: {\n' +
      entries.map(([key], i) => `  ${JSON.stringify(key)}: T${i};`).join('\n') +
      '\n};\n';
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      skipLibCheck: true,
      noEmit: true,
      types: [],
      ignoreDeprecations: '6.0',
    };
    const host = ts.createCompilerHost(options);
    const original = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, languageVersion, ...rest) =>
      path.resolve(fileName) === virtualFile
        ? ts.createSourceFile(fileName, source, languageVersion)
        : original(fileName, languageVersion, ...rest);
    const originalExists = host.fileExists.bind(host);
    host.fileExists = (f) => path.resolve(f) === virtualFile || originalExists(f);
    const program = ts.createProgram([virtualFile], options, host);
    checker = program.getTypeChecker();
    const sf = program.getSourceFile(virtualFile)!;
    const statement = sf.statements.find(ts.isVariableStatement);
    const declaration = statement?.declarationList.declarations[0];
    const rootsSymbol = declaration && checker.getSymbolAtLocation(declaration.name);
    if (!rootsSymbol) throw new Error('cannot read the kubernetes-models types');
    const rootsType = checker.getTypeOfSymbol(rootsSymbol);
    for (const prop of rootsType.getProperties()) rootTypes.set(prop.name, checker.getTypeOfSymbol(prop));
  }
  const t = rootTypes.get(kindKey);
  if (!t) throw new Error(`no type for ${kindKey} among ${[...rootTypes.keys()].join(', ')}`);
  return t;
}

function objectMembers(type: ts.Type): ts.Type[] {
  const c = checker!;
  const t = c.getNonNullableType(type);
  const members = t.isUnion() ? t.types : [t];
  return members.filter((m) => (m.flags & ts.TypeFlags.Object) !== 0 || (m.flags & ts.TypeFlags.Intersection) !== 0);
}

function walk(value: unknown, type: ts.Type, where: string, out: string[]): void {
  if (value === null || typeof value !== 'object') return;
  const c = checker!;
  if ((type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0) return;
  if (Array.isArray(value)) {
    for (const m of objectMembers(type)) {
      const element = m.getNumberIndexType();
      if (element) {
        value.forEach((v, i) => walk(v, element, `${where}/${i}`, out));
        return;
      }
    }
    return;
  }
  const members = objectMembers(type);
  if (members.length === 0) return;
  for (const m of members) {
    const index = m.getStringIndexType();
    if (index) {
      for (const [k, v] of Object.entries(value)) walk(v, index, `${where}/${k}`, out);
      return;
    }
  }
  const props = new Map<string, ts.Symbol>();
  for (const m of members) for (const p of c.getPropertiesOfType(m)) props.set(p.name, p);
  if (props.size === 0) return; // an open object in the schema (e.g. fieldsV1): anything goes
  for (const [k, v] of Object.entries(value)) {
    const p = props.get(k);
    if (!p) {
      out.push(`${where}/${k}`);
      continue;
    }
    walk(v, c.getTypeOfSymbol(p), `${where}/${k}`, out);
  }
}

/** The kind key (`group/version/Kind`) of a manifest. */
export function kindKey(obj: { apiVersion?: string; kind?: string }): string {
  return `${obj.apiVersion}/${obj.kind}`;
}

export function knownKinds(): string[] {
  return Object.keys(KINDS);
}

/**
 * Every problem with `obj` as a Kubernetes object: schema violations (kubernetes-models) and fields the
 * schema does not have. Empty when the object is valid.
 */
export function kubernetesProblems(obj: any): string[] {
  const key = kindKey(obj);
  const kind = KINDS[key];
  if (!kind) return [`no schema known for ${key}`];
  const problems: string[] = [];
  try {
    new kind.model(obj).validate();
  } catch (e) {
    problems.push(`schema: ${(e as Error).message}`);
  }
  const unknown: string[] = [];
  walk(obj, typeOf(key), '', unknown);
  for (const u of unknown) problems.push(`unknown field ${u}`);
  return problems;
}
