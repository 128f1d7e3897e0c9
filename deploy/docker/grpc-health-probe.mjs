// The image's HEALTHCHECK: asks grpc.health.v1.Health/Check on the plain-text health port (SLCA_HEALTH_PORT;
// the service port speaks mutual TLS only) about the whole server (service ''), the same question
// Kubernetes' native gRPC probe asks. Exit 0 only for SERVING.
//   node grpc-health-probe.mjs [host:port] [service] [deadline-ms]
import grpc from '@grpc/grpc-js';
import health from 'grpc-health-check';

const [address = '127.0.0.1:50051', service = '', deadlineArg = '3000'] = process.argv.slice(2);
const Health = grpc.makeGenericClientConstructor(health.service, 'Health');
const client = new Health(address, grpc.credentials.createInsecure());
client.Check({ service }, { deadline: Date.now() + Number(deadlineArg) }, (error, response) => {
  client.close();
  const status = error ? `error: ${error.details || error.message}` : String(response?.status);
  process.stdout.write(`${address} ${service || '(server)'}: ${status}\n`);
  process.exit(!error && (response?.status === 'SERVING' || response?.status === 1) ? 0 : 1);
});
