// dynalite on a thread of its own (see dynamo-server.ts): started with the options in
// workerData, it answers { port } once listening, and on 'close' closes and answers 'closed'.
// Plain CommonJS: a worker thread does not inherit the tsx loader of the thread that starts it.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require('dynalite');

const server = dynalite({ path: workerData.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.once('error', (error) => parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) }));
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  // Keep-alive sockets of SDK clients would hold the close open until they time out.
  server.closeAllConnections();
  // dynalite closes its LevelDB when its server closes; the thread then has nothing left to run.
  server.close(() => parentPort.postMessage('closed'));
});
