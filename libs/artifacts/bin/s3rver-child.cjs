'use strict';
// The child process behind startLocalS3 (src/local-s3.ts). It runs @20minutes/s3rver in a process of
// its own because s3rver keeps its access keys in a module-level registry: one server per process is
// the only way two servers (or a server and a test) cannot see each other's keys.
//
// Protocol over the IPC channel:
//   parent → child  { type: 'start', directory, port, accessKey, secretKey }
//   child → parent  { type: 'ready', port } | { type: 'failed', message }
//   parent → child  { type: 'stop' }  (or the channel closes) → the server closes and the process exits 0
// Credentials travel over IPC rather than argv or the environment, where other users' `ps` could see them.

const S3rver = require('@20minutes/s3rver');
const AWSAccount = require('@20minutes/s3rver/lib/models/account');

// s3rver 4.0.4 has no option for access keys: it registers S3RVER/S3RVER on its one built-in account
// at load time. Replacing that pair on the account makes the server check V4 signatures against the
// configured keys, and only those.
const BUILT_IN_ACCESS_KEY = 'S3RVER';

// s3rver lets a request with no signature at all through as if it were signed. The platform never
// grants anonymous access, so such requests are answered 403 before s3rver sees them.
function rejectUnsigned() {
  return async function rejectUnsigned(ctx, next) {
    const signed =
      ctx.get('authorization') !== '' || 'X-Amz-Algorithm' in ctx.query || 'Signature' in ctx.query;
    if (signed) return next();
    ctx.status = 403;
    ctx.type = 'application/xml';
    ctx.body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>' +
      '<Message>Anonymous access is disabled</Message></Error>';
  };
}

let server;
let stopping = false;

async function start({ directory, port, accessKey, secretKey }) {
  AWSAccount.DUMMY_ACCOUNT.revokeAccessKey(BUILT_IN_ACCESS_KEY);
  AWSAccount.DUMMY_ACCOUNT.createKeyPair(accessKey, secretKey);
  server = new S3rver({
    address: '127.0.0.1',
    port,
    directory,
    silent: true,
    vhostBuckets: false,
    allowMismatchedSignatures: false,
  });
  // Koa composes its middleware list per request, so a gate put first runs before s3rver's router.
  server.middleware.unshift(rejectUnsigned());
  const address = await server.run();
  return address.port;
}

async function stop(code) {
  if (stopping) return;
  stopping = true;
  if (server !== undefined && server.httpServer !== undefined) {
    const closed = server.close();
    // Keep-alive sockets from clients would hold close() open; idle ones go now, busy ones shortly.
    server.httpServer.closeIdleConnections();
    const force = setTimeout(() => server.httpServer.closeAllConnections(), 2000);
    force.unref();
    await closed.catch(() => undefined);
  }
  if (process.connected) process.disconnect();
  process.exit(code);
}

process.on('message', (message) => {
  if (message === null || typeof message !== 'object') return;
  if (message.type === 'start') {
    start(message).then(
      (port) => process.send({ type: 'ready', port }),
      (error) => {
        process.send({ type: 'failed', message: error && error.stack ? error.stack : String(error) }, () =>
          stop(1),
        );
      },
    );
  } else if (message.type === 'stop') {
    void stop(0);
  }
});

// The parent is gone (or let go of us): nobody will ever stop this server, so stop it now.
process.on('disconnect', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGINT', () => void stop(0));

if (typeof process.send !== 'function') {
  process.stderr.write('s3rver-child.cjs must be started with an IPC channel (see startLocalS3)\n');
  process.exit(2);
}
