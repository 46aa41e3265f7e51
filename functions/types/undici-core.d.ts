// The two undici modules the webhook sender loads instead of undici's index, which also loads
// fetch, WebSocket, the cache and the mock agent (webhook/sender.ts says why). Typed with
// undici's own declarations; undici has no `exports` map, so the paths resolve as files.
declare module 'undici/lib/dispatcher/agent' {
  import { Agent } from 'undici';
  export = Agent;
}

declare module 'undici/lib/api/api-request' {
  import type { Dispatcher } from 'undici';
  /** `Dispatcher.prototype.request`, which undici's index attaches; call it with the dispatcher as `this`. */
  function request(this: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  export = request;
}
