import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { abortableSleep } from '../../shared/domain/abortable-sleep';

/**
 * The node:http plumbing every vendor simulator stands on: a loopback server that a test can
 * always close (open connections and pending pauses included), a size-limited body reader,
 * answers with an exact content length, faults queued per call or standing, and the log of what
 * was asked. What a vendor checks and how it answers stays in that vendor's simulator.
 */

/** The controls every simulator gives a test, whatever its vendor. */
export interface SimulatorControls<R> {
  /** What the simulator saw and did, one entry a request, oldest first. */
  readonly requests: readonly R[];
  clearRequests(): void;
  /** Ends every open connection and pending pause, so a test never hangs on the simulator. */
  close(): Promise<void>;
}

/** Largest request body a simulator reads; a larger one drops the connection. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A request body above {@link MAX_BODY_BYTES}; the server answers it by dropping the connection. */
export class RequestBodyTooLargeError extends RangeError {
  override readonly name: string = 'RequestBodyTooLargeError';
  constructor(readonly limitBytes: number) {
    super(`request body too large (over ${limitBytes} bytes)`);
  }
}

/** Handles one request; a rejection (a body too large, a bug) destroys the response. */
export type SimulatorHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** A node:http server for one simulator: `listen()` on a free port, `close()` that never hangs. */
export class SimulatorServer {
  /** Aborted by close(), which cuts every pause short. */
  private readonly closing = new AbortController();
  private readonly server: Server;

  constructor(handle: SimulatorHandler) {
    this.server = createServer((req, res) => {
      handle(req, res).catch(() => res.destroy());
    });
  }

  /** True once close() was called: whatever is still being answered is destroyed, not written. */
  get closed(): boolean {
    return this.closing.signal.aborted;
  }

  /** Listens (port 0: a free one) and resolves to the origin, `http://<host>:<port>`; `name` goes into the error. */
  async listen(host: string, port: number, name: string): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error(`${name} is not listening on TCP`);
    return `http://${host}:${address.port}`;
  }

  /** A sleep that close() cuts short. */
  pause(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return abortableSleep(ms, this.closing.signal);
  }

  /** Waits `ms` (see pause); false, with `res` destroyed, when the server was closed meanwhile. */
  async hold(res: ServerResponse, ms: number): Promise<boolean> {
    await this.pause(ms);
    if (!this.closed) return true;
    res.destroy();
    return false;
  }

  /** Ends every open connection and pending pause, then stops listening. */
  async close(): Promise<void> {
    this.closing.abort();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The whole request body as UTF-8; rejects with RequestBodyTooLargeError beyond `maxBytes`. */
export async function readBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += bytes.length;
    if (size > maxBytes) throw new RequestBodyTooLargeError(maxBytes);
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The parsed JSON, or undefined when `text` is not JSON (JSON itself has no undefined). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Writes the whole answer with its exact content length; `headers` cannot override those two. */
export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers?: Record<string, string>,
): void {
  const head = { 'content-type': contentType, 'content-length': Buffer.byteLength(body) };
  res.writeHead(status, headers === undefined ? head : { ...headers, ...head });
  res.end(body);
}

/** send() of `payload` as JSON; each vendor spells its JSON content type its own way. */
export function sendJson(
  res: ServerResponse,
  status: number,
  contentType: string,
  payload: unknown,
  headers?: Record<string, string>,
): void {
  send(res, status, contentType, JSON.stringify(payload), headers);
}

/** Faults for the next calls, one a call in order, which win over a standing fault for every call. */
export class FaultQueue<F> {
  private readonly queued: F[] = [];
  private standing: F | undefined;

  queue(...faults: F[]): void {
    this.queued.push(...faults);
  }

  /** A fault for every call until set again (`undefined` clears it). */
  set(fault: F | undefined): void {
    this.standing = fault;
  }

  /**
   * The fault for the call now arriving, if any (taking it off the queue). With `applies`, only
   * a fault it accepts: another stays first in line for a later call.
   */
  next(applies?: (fault: F) => boolean): F | undefined {
    const fault = this.queued[0] ?? this.standing;
    if (fault === undefined || (applies !== undefined && !applies(fault))) return undefined;
    if (this.queued.length > 0) this.queued.shift();
    return fault;
  }
}

/** What a simulator saw, one entry a request, numbered from 1; the numbers go on after clear(). */
export class RequestLog<R> {
  private readonly entries: R[] = [];
  private count = 0;

  /** The last number handed out by nextSeq(). */
  get seq(): number {
    return this.count;
  }

  nextSeq(): number {
    return ++this.count;
  }

  add(entry: R): R {
    this.entries.push(entry);
    return entry;
  }

  /** A copy, so what a test holds does not change under it. */
  get all(): readonly R[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries.splice(0);
  }
}

/**
 * A simulator's server, log and controls; the subclass answers each request in `handle` with
 * its vendor's rules.
 */
export abstract class HttpSimulator<R> implements SimulatorControls<R> {
  /** Where the simulator answers, once listen() resolved. */
  url = '';
  protected readonly log = new RequestLog<R>();
  protected readonly http = new SimulatorServer((req, res) => this.handle(req, res));

  /** `what` names the simulator in an error; `path` follows the origin in `url`. */
  protected constructor(
    private readonly what: string,
    private readonly path = '',
  ) {}

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;

  /** Listens on `host` (default loopback) and `port` (default a free one). */
  async listen(options: { host?: string; port?: number }): Promise<this> {
    const origin = await this.http.listen(options.host ?? '127.0.0.1', options.port ?? 0, this.what);
    this.url = `${origin}${this.path}`;
    return this;
  }

  get requests(): readonly R[] {
    return this.log.all;
  }

  clearRequests(): void {
    this.log.clear();
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
