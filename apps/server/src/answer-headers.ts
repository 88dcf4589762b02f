import { type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders, ServerResponse } from "node:http";

/** A header as undici's `Headers` iterates it: lower-case name, value. */
export type HeaderLine = readonly [name: string, value: string];

/**
 * node:http's answer for this server (`serve`'s `ServerResponse`), which adds the headers every app answer carries
 * (the secure headers, X-Request-Id) as node writes the head, instead of the app setting them on the web Response's
 * undici `Headers` for @hono/node-server to read back: 13 `Headers.set` and a sorted read of 15 headers per answer
 * were ≈ 4% of a lookup's CPU. The headers are those of the old way, in its order for every answer this app makes:
 * @hono/node-server passes the Response's headers lower-cased in name order (then its own `Content-Length`), and these
 * are merged in at their place. Where it appends names after the sorted ones (`set-cookie`, a default `content-type`
 * for a body without one: nothing here answers either) the order may differ; the set of headers does not.
 */
export class AnswerWithHeaders<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  /** The secure headers, sorted by name; set by the app's middleware once it answered. */
  secureHeaders: readonly HeaderLine[] | undefined = undefined;
  /** This server's id for the request, answered as X-Request-Id; set by the app's middleware once it answered. */
  requestId: string | undefined = undefined;

  override writeHead(
    statusCode: number,
    message?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
    headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
  ): this {
    if (this.secureHeaders === undefined && this.requestId === undefined)
      return super.writeHead(statusCode, message as string, headers);
    if (typeof message !== "string") {
      headers = message;
      message = undefined;
    }
    if (Array.isArray(headers)) {
      // Not what @hono/node-server writes; kept correct, not ordered.
      for (const [name, value] of this.#added()) this.setHeader(name, value);
      return super.writeHead(statusCode, message, headers);
    }
    return super.writeHead(statusCode, message, mergeInOrder(headers, this.#added()));
  }

  #added(): readonly HeaderLine[] {
    const secure = this.secureHeaders ?? [];
    if (this.requestId === undefined) return secure;
    const lines = [...secure];
    let at = 0;
    while (at < lines.length && lines[at]![0] < REQUEST_ID) at++;
    lines.splice(at, 0, [REQUEST_ID, this.requestId]);
    return lines;
  }
}

const REQUEST_ID = "x-request-id";

/**
 * `headers` with `added` (sorted by name) merged into its leading run of lower-case names in ascending order, as if
 * they had been in the `Headers` it was read from; an added name replaces the same name's value (as Hono's secure
 * headers overwrite a route's). Names after that run (@hono/node-server's `Content-Length`) stay after it.
 */
export function mergeInOrder(
  headers: OutgoingHttpHeaders | undefined,
  added: readonly HeaderLine[],
): OutgoingHttpHeaders {
  const merged: OutgoingHttpHeaders = {};
  let next = 0;
  let previous = "";
  let sorted = true;
  if (headers)
    for (const name in headers) {
      if (sorted && (name <= previous || !isLowerCaseName(name))) {
        sorted = false;
        while (next < added.length) merged[added[next]![0]] = added[next++]![1];
      }
      if (sorted) {
        while (next < added.length && added[next]![0] < name) merged[added[next]![0]] = added[next++]![1];
        previous = name;
        if (next < added.length && added[next]![0] === name) {
          merged[name] = added[next++]![1];
          continue;
        }
      } else if (added.some(([addedName]) => addedName === name)) continue;
      merged[name] = headers[name];
    }
  while (next < added.length) merged[added[next]![0]] = added[next++]![1];
  return merged;
}

/** True if `name` has no upper-case ASCII letter (undici's `Headers` iterates names lower-cased). */
function isLowerCaseName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code >= 65 && code <= 90) return false;
  }
  return true;
}
