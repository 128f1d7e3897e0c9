import { classOrder } from '@slca/data';
import { parseInteger } from '../io';

/** Prints numpy's RandomState(seed).permutation(classes) as a JSON array. */
export function classOrderCommand(opts: { classes: string; seed: string }): void {
  const classes = parseInteger(opts.classes, '--classes', 1);
  const seed = parseInteger(opts.seed, '--seed', 0);
  process.stdout.write(`${JSON.stringify(classOrder(classes, seed))}\n`);
}
