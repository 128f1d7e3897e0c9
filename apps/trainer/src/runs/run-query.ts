import { RunStatus } from '@slca/contracts';
import type { RunRecord } from './run-record';

/**
 * The runs query of `ListRuns` (and the dashboard's Runs page), as terms separated by spaces, all of which
 * a run must match:
 *
 * - `field:value` — `id`, `method`, `benchmark`, `dataset`, `backbone`, `tag`, `status`, `backend`,
 *   `device`: the run's value equals `value` (case-insensitive; `status:running` or the wire name);
 * - `path<op>value` with `=`, `!=`, `<`, `<=`, `>`, `>=` — a metric (`lastAcc`, `incAcc`, `seed`,
 *   `tasks`, `tasksDone`, `resumedCount`) or a setting of the run's experiment by its path (`stage1.lr`,
 *   `alignment.epochs`, `compute.device`): numbers compare as numbers, anything else as text (`=` / `!=`
 *   only); a run whose experiment lacks the path does not match;
 * - any other word — found in the run's id, method, benchmark, dataset, backbone or tags (case-insensitive).
 *
 * Values may be quoted (`tag:"two words"`). Archived runs match only a query with `archived:yes` (only
 * them) or `archived:any` (them too); `archived:no` is the default. An empty query matches every run
 * that is not archived.
 */
export class RunQueryError extends Error {
  override name = 'RunQueryError';
}

const FIELDS = [
  'id',
  'method',
  'benchmark',
  'dataset',
  'backbone',
  'tag',
  'status',
  'backend',
  'device',
  'archived',
];
const ARCHIVED = ['yes', 'no', 'any'];
const METRICS = ['lastAcc', 'incAcc', 'seed', 'tasks', 'tasksDone', 'resumedCount'] as const;
type Operator = '<=' | '>=' | '!=' | '=' | '<' | '>';

type Term =
  | { kind: 'field'; field: string; value: string }
  | { kind: 'compare'; path: string; op: Operator; value: string }
  | { kind: 'word'; value: string };

/** Splits on spaces outside double quotes; the quotes are removed. */
function words(query: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  let any = false;
  for (const ch of query) {
    if (ch === '"') {
      quoted = !quoted;
      any = true;
    } else if (/\s/.test(ch) && !quoted) {
      if (any) out.push(current);
      current = '';
      any = false;
    } else {
      current += ch;
      any = true;
    }
  }
  if (quoted) throw new RunQueryError(`an unclosed " in '${query}'`);
  if (any) out.push(current);
  return out;
}

const PATH = /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/;

function parseTerm(word: string, index: number): Term {
  const at = `term ${index + 1} '${word}'`;
  const colon = word.indexOf(':');
  const opMatch = /(<=|>=|!=|=|<|>)/.exec(word);
  if (colon > 0 && (!opMatch || colon < opMatch.index)) {
    const field = word.slice(0, colon);
    const value = word.slice(colon + 1);
    if (!FIELDS.includes(field))
      throw new RunQueryError(`${at}: unknown field '${field}' (fields: ${FIELDS.join(', ')})`);
    if (value === '') throw new RunQueryError(`${at}: no value after '${field}:'`);
    if (field === 'archived' && !ARCHIVED.includes(value.toLowerCase()))
      throw new RunQueryError(`${at}: archived is one of ${ARCHIVED.join(', ')}, got '${value}'`);
    if (field === 'status' && statusOf(value) === undefined)
      throw new RunQueryError(`${at}: unknown status '${value}' (statuses: ${STATUS_NAMES.join(', ')})`);
    return { kind: 'field', field, value };
  }
  if (opMatch && opMatch.index > 0) {
    const path = word.slice(0, opMatch.index);
    const op = opMatch[1] as Operator;
    const value = word.slice(opMatch.index + op.length);
    if (!PATH.test(path)) throw new RunQueryError(`${at}: '${path}' is not a metric or a setting's path`);
    if (value === '') throw new RunQueryError(`${at}: no value after '${op}'`);
    if (op !== '=' && op !== '!=' && !Number.isFinite(Number(value)))
      throw new RunQueryError(`${at}: '${op}' compares numbers, got '${value}'`);
    return { kind: 'compare', path, op, value };
  }
  return { kind: 'word', value: word };
}

const STATUS_NAMES = Object.keys(RunStatus)
  .filter((k) => k.startsWith('RUN_STATUS_') && k !== 'RUN_STATUS_UNSPECIFIED' && k !== 'UNRECOGNIZED')
  .map((k) => k.slice('RUN_STATUS_'.length).toLowerCase());

function statusOf(value: string): RunStatus | undefined {
  const upper = value.toUpperCase();
  const key = upper.startsWith('RUN_STATUS_') ? upper : `RUN_STATUS_${upper}`;
  if (key === 'RUN_STATUS_UNSPECIFIED' || !Object.prototype.hasOwnProperty.call(RunStatus, key))
    return undefined;
  return (RunStatus as unknown as Record<string, RunStatus>)[key];
}

/** Each record's experiment, parsed once per configuration (a query reads it for every term). */
const experiments = new WeakMap<RunRecord, { json: string; value: Record<string, unknown> }>();

function experimentOf(run: RunRecord): Record<string, unknown> {
  const cached = experiments.get(run);
  if (cached && cached.json === run.configJson) return cached.value;
  const value = parseExperiment(run);
  experiments.set(run, { json: run.configJson, value });
  return value;
}

function parseExperiment(run: RunRecord): Record<string, unknown> {
  try {
    const parsed = JSON.parse(run.configJson || '{}') as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The run's dataset and backbone: its lineage, else its experiment (older records). */
function lineageValue(run: RunRecord, key: 'dataset' | 'backbone'): string {
  const fromLineage = run.lineage?.[key];
  if (fromLineage) return fromLineage;
  const value = experimentOf(run)[key];
  return typeof value === 'string' ? value : '';
}

function fieldValues(run: RunRecord, field: string): string[] {
  switch (field) {
    case 'tag':
      return run.tags;
    case 'dataset':
    case 'backbone':
      return [lineageValue(run, field)];
    case 'device':
      return [run.device ?? ''];
    default:
      return [String(run[field as 'id' | 'method' | 'benchmark' | 'backend'] ?? '')];
  }
}

function valueAt(run: RunRecord, path: string): unknown {
  if ((METRICS as readonly string[]).includes(path)) return run[path as (typeof METRICS)[number]];
  let node: unknown = experimentOf(run);
  for (const key of path.split('.')) {
    if (!node || typeof node !== 'object' || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function compare(actual: unknown, op: Operator, wanted: string): boolean {
  if (actual === undefined) return false;
  const a = typeof actual === 'number' ? actual : Number.NaN;
  const w = Number(wanted);
  if (Number.isFinite(a) && wanted.trim() !== '' && Number.isFinite(w)) {
    switch (op) {
      case '=':
        return a === w;
      case '!=':
        return a !== w;
      case '<':
        return a < w;
      case '<=':
        return a <= w;
      case '>':
        return a > w;
      case '>=':
        return a >= w;
    }
  }
  const text = typeof actual === 'string' ? actual : JSON.stringify(actual);
  if (op === '=') return text.toLowerCase() === wanted.toLowerCase();
  if (op === '!=') return text.toLowerCase() !== wanted.toLowerCase();
  return false;
}

function matches(run: RunRecord, term: Term): boolean {
  switch (term.kind) {
    case 'field':
      if (term.field === 'status') return run.status === statusOf(term.value);
      if (term.field === 'archived') {
        const wanted = term.value.toLowerCase();
        return wanted === 'any' || (wanted === 'yes') === (run.archived ?? false);
      }
      return fieldValues(run, term.field).some((v) => v.toLowerCase() === term.value.toLowerCase());
    case 'compare':
      return compare(valueAt(run, term.path), term.op, term.value);
    case 'word': {
      const w = term.value.toLowerCase();
      return [
        run.id,
        run.method,
        run.benchmark,
        lineageValue(run, 'dataset'),
        lineageValue(run, 'backbone'),
        ...run.tags,
      ].some((v) => v.toLowerCase().includes(w));
    }
  }
}

/** Parses a query once; the predicate tells whether a run matches it. RunQueryError says what is wrong. */
export function parseRunQuery(query: string): (run: RunRecord) => boolean {
  const terms = words(query).map(parseTerm);
  if (!terms.some((t) => t.kind === 'field' && t.field === 'archived'))
    terms.push({ kind: 'field', field: 'archived', value: 'no' });
  return (run) => terms.every((term) => matches(run, term));
}
