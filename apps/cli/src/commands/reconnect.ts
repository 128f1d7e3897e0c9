import { status as grpcStatus } from '@grpc/grpc-js';

/** Pauses between tries to reach a service that does not answer: 1 s, doubling up to 15 s. */
export const RECONNECT_DELAYS_S: readonly number[] = [1, 2, 4, 8, 15];

/** A failure that says the service is not there (down, restarting, unreachable), not that it refused. */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === grpcStatus.UNAVAILABLE || code === grpcStatus.DEADLINE_EXCEEDED;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

/**
 * Says that `what` does not answer and counts down to the next try: on a terminal one line rewritten
 * every second, elsewhere one line per try. `attempt` counts the failed tries so far (1 for the first).
 */
export async function waitToReconnect(options: {
  what: string;
  error: unknown;
  attempt: number;
  signal?: AbortSignal;
  out?: NodeJS.WriteStream;
}): Promise<void> {
  const out = options.out ?? process.stderr;
  const e = options.error as { code?: number; details?: string; message?: string };
  const reason = typeof e.code === 'number' ? `${grpcStatus[e.code]}: ${e.details ?? e.message}` : e.message;
  const seconds = RECONNECT_DELAYS_S[Math.min(options.attempt - 1, RECONNECT_DELAYS_S.length - 1)] ?? 15;
  const line = (left: number) =>
    `slca: ${options.what} does not answer (${reason}); trying again in ${left} s (try ${options.attempt})`;
  if (!out.isTTY) {
    out.write(`${line(seconds)}\n`);
    await sleep(seconds * 1000, options.signal);
    return;
  }
  try {
    for (let left = seconds; left > 0; left -= 1) {
      out.write(`\r\x1b[K${line(left)}`);
      await sleep(1000, options.signal);
    }
  } finally {
    out.write('\r\x1b[K');
  }
}
