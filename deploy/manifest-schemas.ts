import { join } from 'node:path';
import ts from 'typescript';

// Checks Kubernetes manifests against the published schemas without a cluster, for k8s-schema.spec.ts.
// kubernetes-models (and @kubernetes-models/keda for KEDA's CRDs) ships, for every kind, a class whose
// validate() runs the kind's OpenAPI schema (types, required fields, formats such as quantities) and
// an `I<Kind>` interface generated from the same schema. The schema allows unknown fields, which the
// API server rejects (kubectl's strict field validation), so each manifest is also type-checked
// against its interface, where TypeScript's excess-property check names every misspelt field.

/**
 * The kinds deploy/k8s may use, by the module that defines each (its class is named after the last
 * segment). A manifest of any other apiVersion and kind is rejected: add its module here first.
 */
const KIND_MODULES = [
  'kubernetes-models/v1/Namespace',
  'kubernetes-models/v1/ConfigMap',
  'kubernetes-models/v1/Secret',
  'kubernetes-models/v1/Service',
  'kubernetes-models/apps/v1/Deployment',
  'kubernetes-models/apps/v1/StatefulSet',
  'kubernetes-models/batch/v1/Job',
  'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
  '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject',
] as const;

/** A kubernetes-models class: the constructor checks nothing, validate() throws on a schema error. */
type ModelClass = {
  readonly apiVersion: string;
  readonly kind: string;
  new (data: unknown): { validate(): void };
};
type Kind = { readonly model: ModelClass; readonly module: string };

/** Thrown when the checker itself cannot run (a module in KIND_MODULES is missing or misnamed). */
export class ManifestSchemaError extends Error {
  override readonly name = 'ManifestSchemaError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class ManifestSchemas {
  private constructor(private readonly kinds: ReadonlyMap<string, Kind>) {}

  static async load(): Promise<ManifestSchemas> {
    const kinds = new Map<string, Kind>();
    for (const module of KIND_MODULES) {
      const exports = (await import(module)) as Record<string, ModelClass | undefined>;
      const exported = exports[module.split('/').at(-1)!];
      if (typeof exported !== 'function' || typeof exported.kind !== 'string') {
        throw new ManifestSchemaError(`${module} exports no model class named after it`);
      }
      kinds.set(kindKey(exported.apiVersion, exported.kind), { model: exported, module });
    }
    return new ManifestSchemas(kinds);
  }

  /** The problems of each document, in order; an empty list means the document is valid. */
  check(docs: readonly unknown[]): string[][] {
    const kinds = docs.map((doc) => {
      const { apiVersion, kind } = (doc ?? {}) as { apiVersion?: unknown; kind?: unknown };
      return { found: this.kinds.get(kindKey(apiVersion, kind)), apiVersion, kind };
    });
    const problems = docs.map((doc, i) => {
      const { found, apiVersion, kind } = kinds[i]!;
      if (found === undefined)
        return [`no schema for apiVersion ${String(apiVersion)}, kind ${String(kind)}`];
      return schemaProblems(found.model, doc);
    });
    const typed = docs.flatMap((doc, index) => {
      const found = kinds[index]!.found;
      return found === undefined ? [] : [{ index, module: found.module, kind: found.model.kind, doc }];
    });
    for (const { line, message } of typeCheck(typed)) {
      problems[typed[line]!.index]!.push(`fields: ${message}`);
    }
    return problems;
  }
}

function schemaProblems(model: ModelClass, doc: unknown): string[] {
  try {
    new model(doc).validate();
    return [];
  } catch (err) {
    return [`schema: ${(err as Error).message}`];
  }
}

function kindKey(apiVersion: unknown, kind: unknown): string {
  return `${String(apiVersion)} ${String(kind)}`;
}

// The typed copy of the manifests sits beside this file, so the models resolve from the repo's
// node_modules.
const TYPED_FILE = join(__dirname, 'manifests.generated.ts');
const COMPILER_OPTIONS: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
  lib: ['lib.es2023.d.ts'],
  target: ts.ScriptTarget.ES2023,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
};

type FieldError = { readonly line: number; readonly message: string };

/**
 * TypeScript's complaints about each document as the `I<Kind>` of its module, by document (one line
 * of the generated file each). Only ever in memory: the file is never written.
 */
function typeCheck(docs: readonly { module: string; kind: string; doc: unknown }[]): FieldError[] {
  const source = docs
    .map((d, i) => `export const m${i}: import('${d.module}').I${d.kind} = ${JSON.stringify(d.doc)};`)
    .join('\n');
  const host = ts.createCompilerHost(COMPILER_OPTIONS, true);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === TYPED_FILE
      ? ts.createSourceFile(name, source, language, true)
      : getSourceFile(name, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === TYPED_FILE || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === TYPED_FILE ? source : readFile(name));

  const program = ts.createProgram([TYPED_FILE], COMPILER_OPTIONS, host);
  const setup = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  if (setup.length > 0) throw new ManifestSchemaError(`TypeScript cannot run: ${flatten(setup[0]!)}`);
  const file = program.getSourceFile(TYPED_FILE)!;
  const diagnostics = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
  return diagnostics.map((d) => ({
    line: file.getLineAndCharacterOfPosition(d.start ?? 0).line,
    message: flatten(d),
  }));
}

function flatten(d: ts.Diagnostic): string {
  return ts.flattenDiagnosticMessageText(d.messageText, ' ');
}
