import { runCli } from './cli';
import { processIo } from './io';

// The entry point of bin.cjs. The exit is explicit: the handlers' HTTP pools keep idle
// keep-alive sockets that would hold the process open for their timeout after a command ends.
handleClosedOutput();
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

/**
 * `lead-forwarder dev | head -2`: once the reader is gone, every write fails with EPIPE, and an
 * unhandled stream error would crash the runner mid-delivery and leave its lock behind. Instead
 * the output is dropped and a command that stops cleanly on SIGTERM (dev) is asked to; the
 * others have nothing left to say and finish their work.
 */
function handleClosedOutput(): void {
  let stopping = false;
  const onError = (error: NodeJS.ErrnoException): void => {
    if (error.code !== 'EPIPE') throw error;
    if (stopping) return;
    stopping = true;
    if (process.listenerCount('SIGTERM') > 0) process.kill(process.pid, 'SIGTERM');
  };
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
}
