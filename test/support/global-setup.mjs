// One fauxqs for the whole jest run. fauxqs is ESM-only, so it is started here (plain Node)
// rather than inside a test file; workers find it through FAUXQS_ENDPOINT.
import { startFauxqs } from 'fauxqs';

export default async function globalSetup() {
  const server = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  globalThis.__fauxqs = server;
  process.env.FAUXQS_ENDPOINT = `http://127.0.0.1:${server.port}`;
}
