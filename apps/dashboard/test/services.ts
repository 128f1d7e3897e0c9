import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_FILES, protoRoot } from '@slca/contracts';

/** Direct gRPC calls the browser tests check the pages against (the services' own answers). */
export function serviceClient(service: 'trainer' | 'evaluator' | 'splitter', address: string) {
  const definition = protoLoader.loadSync([PROTO_FILES[service]], {
    includeDirs: [protoRoot()],
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    slca: { v1: Record<string, grpc.ServiceClientConstructor> };
  };
  const name = { trainer: 'TrainerService', evaluator: 'EvaluatorService', splitter: 'SplitterService' }[
    service
  ];
  const client = new pkg.slca.v1[name](address, grpc.credentials.createInsecure());
  const call = <Res>(method: string, request: object): Promise<Res> =>
    new Promise((ok, fail) =>
      (
        client as unknown as Record<
          string,
          (r: object, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, res: Res) => void) => void
        >
      )[method].call(client, request, { deadline: Date.now() + 30_000 }, (e, res) => (e ? fail(e) : ok(res))),
    );
  return { call, close: () => client.close() };
}
