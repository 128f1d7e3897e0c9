// Loaded into each service of the fault suite (NODE_OPTIONS=--import): on SIGUSR2 it leaves a promise
// rejected with no handler, as a bug would. A service without a last-resort handler exits on it.
process.on('SIGUSR2', () => {
  Promise.reject(new Error('a rejection nobody handles (the fault suite’s probe)'));
});
