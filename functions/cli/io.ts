import { createInterface } from 'node:readline/promises';

/** The terminal, as commands use it; tests and other callers can supply their own. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Both stdin and stdout are a terminal: a person can be asked. */
  interactive: boolean;
  ask: (question: string) => Promise<string>;
}

export function processIo(): Io {
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
    ask: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
  };
}
