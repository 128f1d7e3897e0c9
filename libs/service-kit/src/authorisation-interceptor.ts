import * as grpc from '@grpc/grpc-js';
import {
  AUTHORISATION,
  authoriseCall,
  authoriseRequest,
  type Decision,
  type MethodRule,
} from './authorisation';
import type { Logger } from './logging';
import { identityOf } from './tls/credentials';

/**
 * The one place the authorisation table is enforced: a grpc-js server interceptor, so it sees every call
 * (unary and streaming, Nest's handlers and the health service alike) before any handler runs. The
 * caller's identity is its client certificate's CN. A refusal is PERMISSION_DENIED naming the identity and
 * the method, and one log line with the same (and the peer's address; no request content).
 */
export function authorisationInterceptor(
  logger: Logger,
  table: ReadonlyMap<string, MethodRule> = AUTHORISATION,
): grpc.ServerInterceptor {
  return (descriptor, call) => {
    const identity = identityOf(call);
    const method = descriptor.path;
    const refuse = (decision: Decision & { allowed: false }) => {
      logger.warn('permission denied', { identity: identity ?? null, method, peer: call.getPeer() });
      call.sendStatus({
        code: grpc.status.PERMISSION_DENIED,
        details: decision.reason,
        metadata: new grpc.Metadata(),
      });
    };
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, forward) => {
            const decision = authoriseCall(identity, method, table);
            if (decision.allowed) forward(metadata);
            else refuse(decision);
          },
          onReceiveMessage: (message, forward) => {
            const decision = identity
              ? authoriseRequest(identity, method, message, table)
              : authoriseCall(identity, method, table);
            if (decision.allowed) forward(message);
            else refuse(decision);
          },
        }),
    });
  };
}
