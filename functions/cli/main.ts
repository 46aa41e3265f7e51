import { runCli } from './cli';
import { processIo } from './io';

// The entry point of bin.cjs. The exit is explicit: the handlers' HTTP pools keep idle
// keep-alive sockets that would hold the process open for their timeout after a command ends.
void runCli(process.argv.slice(2), processIo()).then(
  (code) => exitAfterFlush(code),
  (error: unknown) => {
    process.stderr.write(`lead-forwarder: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    exitAfterFlush(1);
  },
);

function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
