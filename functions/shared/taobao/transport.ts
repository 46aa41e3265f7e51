import * as http from 'node:http';
import * as https from 'node:https';
import { LeadForwarderError } from '../domain/errors';

/**
 * One form POST to the TOP gateway over node:http(s). Not `fetch`: a scan's pages are strictly
 * sequential (each offset comes from the page before), so every millisecond of client overhead
 * is added to every page, and fetch's WHATWG streams cost about a millisecond more per call
 * than a plain request. Node's global agents keep connections alive (Node ≥ 19), so a scan pays
 * one TCP/TLS handshake, not one per page.
 */

export interface FormPostOptions {
  /** Bounds the whole exchange, body included: a gateway that stalls mid-page times out. */
  timeoutMs: number;
  /** A longer body is refused (and its socket closed) rather than buffered. */
  maxResponseBytes: number;
}

export interface FormPostResponse {
  status: number;
  location?: string;
  text: string;
}

/** The body went over FormPostOptions.maxResponseBytes. */
export class ResponseTooLargeError extends LeadForwarderError {
  override readonly name: string = 'ResponseTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`response body larger than ${maxBytes} bytes`);
  }
}

/**
 * POSTs `form` (already URL-encoded) and resolves with the status, the Location header and the
 * body as UTF-8 text. Redirects are never followed: a signed request goes to the configured
 * gateway only. Rejects on network errors, the timeout (an AbortError), a cut-off body
 * (ECONNRESET) or an oversized one (ResponseTooLargeError).
 */
export function postForm(url: URL, form: string, contentType: string, options: FormPostOptions): Promise<FormPostResponse> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(form), accept: 'application/json' },
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.byteLength;
          if (size > options.maxResponseBytes) {
            // Settle first: the rest of the body may already be buffered, and its 'end' must not
            // resolve with what was kept.
            const error = new ResponseTooLargeError(options.maxResponseBytes);
            reject(error);
            response.destroy(error);
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          const location = response.headers.location;
          resolve({ status: response.statusCode ?? 0, location, text: Buffer.concat(chunks).toString('utf8') });
        });
        // Includes a body cut off before its announced length (ECONNRESET, "aborted").
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(form);
  });
}
