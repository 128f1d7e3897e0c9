import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export * from './generated/slca/v1/common';
export * from './generated/slca/v1/evaluator';
export * from './generated/slca/v1/splitter';
export * from './generated/slca/v1/statistics';
export * from './generated/slca/v1/trainer';

/** The proto package every service of the platform lives in. */
export const PROTO_PACKAGE = 'slca.v1';

/** The .proto files, relative to {@link protoRoot}, one per service. */
export const PROTO_FILES = {
  splitter: 'slca/v1/splitter.proto',
  trainer: 'slca/v1/trainer.proto',
  statistics: 'slca/v1/statistics.proto',
  evaluator: 'slca/v1/evaluator.proto',
} as const;
export type ServiceName = keyof typeof PROTO_FILES;

/**
 * Where the .proto files are at run time: `SLCA_PROTO_ROOT` when set (bundled apps copy the folder),
 * else the library's own `proto/` folder.
 */
export function protoRoot(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [
    env.SLCA_PROTO_ROOT,
    resolve(__dirname, '../proto'),
    resolve(__dirname, 'proto'),
  ].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(join(p, PROTO_FILES.trainer)));
  if (!found) throw new Error(`cannot find the .proto files; looked in ${candidates.join(', ')}`);
  return found;
}
