import type { ChannelCredentials } from '@grpc/grpc-js';
import { evaluatorClient, splitterClient, trainerClient } from '@slca/service-kit/client';

const FACTORIES = { trainer: trainerClient, evaluator: evaluatorClient, splitter: splitterClient };
type Clients = { [K in keyof typeof FACTORIES]: ReturnType<(typeof FACTORIES)[K]> };

/**
 * Direct gRPC calls the browser tests check the pages against (the services' own answers), through the
 * generated clients. `call` names the client's method (`listRuns`, `getRunMetrics`, …), checked against the
 * service's methods by the compiler. `credentials`: a client certificate of the stack (the CLI's reads
 * what the pages show).
 */
export function serviceClient<S extends keyof Clients>(
  service: S,
  address: string,
  credentials: ChannelCredentials,
) {
  const client = FACTORIES[service]({ address, deadlineMs: 30_000, credentials }) as Clients[S];
  const call = <Res>(
    method: Exclude<keyof Clients[S], 'address' | 'serviceName' | 'waitForReady' | 'close'>,
    request: object,
  ): Promise<Res> => (client[method] as unknown as (r: object) => Promise<Res>)(request);
  return { call, client, close: () => client.close() };
}
