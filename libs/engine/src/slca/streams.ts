import { Mt19937 } from '@slca/data';

/** Independent, reproducible random streams per purpose, derived from the run's seed. */
export function streamRng(seed: number, stream: string): Mt19937 {
  let h = 0x811c9dc5;
  for (const ch of stream) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return new Mt19937((Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ h) >>> 0);
}
