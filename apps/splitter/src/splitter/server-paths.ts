import { realpath } from 'node:fs/promises';
import { delimiter, isAbsolute, relative, resolve } from 'node:path';
import { invalidArgument } from '@slca/service-kit';

/** The variable naming the folders the splitter may read datasets and weights from, `:`-separated. */
export const DATASET_ROOTS_ENV = 'SLCA_DATASET_ROOTS';

/**
 * Parses `SLCA_DATASET_ROOTS`: absolute folders separated by the platform's path delimiter (`:`); empty
 * entries are ignored. A relative entry is a configuration mistake, refused with its position.
 */
export function parseDatasetRoots(value: string | undefined): string[] {
  const roots = (value ?? '')
    .split(delimiter)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const [i, root] of roots.entries())
    if (!isAbsolute(root))
      throw new Error(`${DATASET_ROOTS_ENV}[${i}] must be an absolute folder, got '${root}'`);
  return roots.map((root) => resolve(root));
}

/** `inner` is `outer` or lies below it (both absolute and normalised). */
function within(outer: string, inner: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Which paths on the splitter's host a caller may name: only those under the configured dataset roots,
 * judged both as written (after `.` and `..` are resolved) and after symbolic links are followed, so
 * neither `..` nor a link inside a root reaches out of it. A path outside every root is refused with the
 * same words whether or not it exists and whatever it is, so a refusal tells the caller nothing about the
 * host; inside a root the services' own errors (missing folder, unreadable file) apply.
 */
export class ServerPaths {
  private readonly real: Promise<string[]>;

  constructor(readonly roots: readonly string[]) {
    // A root that does not exist (yet) is kept as written: nothing under it can be imported until it does.
    this.real = Promise.all(roots.map((root) => realpath(root).catch(() => root)));
  }

  /** The path to read for the request's `field`, or INVALID_ARGUMENT naming the field. */
  async check(field: string, value: string): Promise<string> {
    if (value === '') throw invalidArgument(field, 'is required');
    if (!isAbsolute(value)) throw invalidArgument(field, `must be an absolute path, got ${value}`);
    if (this.roots.length === 0)
      throw invalidArgument(
        field,
        `this splitter reads no paths on its host: its operator has configured no dataset roots (${DATASET_ROOTS_ENV})`,
      );
    const path = resolve(value);
    const outside = () =>
      invalidArgument(field, `${value} is not under the splitter's dataset roots (${this.roots.join(', ')})`);
    if (!this.roots.some((root) => within(root, path))) throw outside();
    const real = await this.realpathOfExisting(path);
    const roots = await this.real;
    if (!roots.some((root) => within(root, real))) throw outside();
    return path;
  }

  /** The real path of `path` when it exists, else of its nearest existing ancestor with the rest appended. */
  private async realpathOfExisting(path: string): Promise<string> {
    let head = path;
    const tail: string[] = [];
    for (;;) {
      try {
        return resolve(await realpath(head), ...tail.reverse());
      } catch {
        const parent = resolve(head, '..');
        if (parent === head) return path;
        tail.push(relative(parent, head));
        head = parent;
      }
    }
  }
}
