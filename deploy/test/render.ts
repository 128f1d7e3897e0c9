import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const DEPLOY_ROOT = join(__dirname, '..');
export const OVERLAYS = ['local', 'gpu'] as const;
export type Overlay = (typeof OVERLAYS)[number];

/** A rendered Kubernetes object; fields are read by the assertions, the schema check covers the rest. */
/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are untyped YAML */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [field: string]: any };
  [field: string]: any;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** `kubectl kustomize` (offline; kustomize v5 is built into kubectl) of one overlay, parsed. */
export function render(overlay: Overlay): K8sObject[] {
  const text = execFileSync('kubectl', ['kustomize', join(DEPLOY_ROOT, 'k8s/overlays', overlay)], {
    encoding: 'utf8',
    maxBuffer: 32 * 1024 * 1024,
  });
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length) throw new Error(`${overlay}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as K8sObject;
  });
}

const load = createRequire(__filename);

/**
 * Validates an object against the Kubernetes OpenAPI schema of its apiVersion and kind, through the
 * kubernetes-models class for it (which does not flag unknown fields). Throws for a kind it lacks.
 */
export function validate(object: K8sObject): void {
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : ['', object.apiVersion];
  const module = load(`kubernetes-models/${group ? `${group}/` : ''}${version}`) as Record<
    string,
    new (data: unknown) => { validate(): void }
  >;
  const Model = module[object.kind];
  if (!Model) throw new Error(`kubernetes-models has no ${object.apiVersion} ${object.kind}`);
  new Model(object).validate();
}

export const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
}

/** Pod templates of every workload (Deployments, StatefulSets, Jobs) with the workload's name. */
export function podTemplates(objects: K8sObject[]): { owner: string; spec: K8sObject['spec'] }[] {
  return objects
    .filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind))
    .map((o) => ({ owner: `${o.kind}/${o.metadata.name}`, spec: o.spec.template.spec }));
}
