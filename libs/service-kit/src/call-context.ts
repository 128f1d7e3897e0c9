import { AsyncLocalStorage } from 'node:async_hooks';

/** The gRPC metadata key that carries the run id from caller to callee. */
export const RUN_ID_METADATA_KEY = 'x-run-id';

export interface CallContext {
  readonly runId?: string;
  readonly method?: string;
}

/**
 * The call being served, for code far from the handler (library callbacks, nested clients). Set by the
 * server's call interceptor; empty outside a call.
 */
export const callContext = new AsyncLocalStorage<CallContext>();
