/** Runs once when the server starts: the Node.js server validates its configuration before any request. */
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') await import('./instrumentation-node');
}
