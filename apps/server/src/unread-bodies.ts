/**
 * An answer ready before its request's body has arrived in full (a 413 read from Content-Length, a refused key, a
 * foreign Host or Origin, "starting") waits for the rest of that body, read and dropped, and then closes the
 * connection if the body did not end.
 *
 * Before, such a connection stayed alive with the rest of the body unread: the web stream that @hono/node-server makes
 * of the request (hono's bodyLimit looks at `request.body`) pauses the socket once its queue is full, so
 * @hono/node-server's own drain read nothing and cut the socket after 500 ms. The next call the client had sent on
 * that connection (the MCP SDK's client and tRPC's reuse connections) got the connection closed with no answer,
 * whatever its own size, and a client still sending a large body got a reset (EPIPE) instead of its 413. Read to its
 * end, the client finishes sending and reads the answer, and the connection serves the next call.
 */
import { IncomingMessage } from "node:http";
import type { Http2Bindings, HttpBindings } from "@hono/node-server";

/** How much of an unwanted body is read before giving up on it: enough for honest clients on a slow link. */
const DISCARD_MAX_BYTES = 64 * 1024 * 1024;
const DISCARD_MAX_MS = 2000;

/**
 * Undefined when the request's body has arrived (the usual case, answered at once); else a promise that settles once
 * the rest of the body is read and dropped, or given up on (then the answer says `Connection: close`).
 */
export function settleUnreadBody(
  request: Request,
  { incoming, outgoing }: HttpBindings | Http2Bindings,
): Promise<void> | undefined {
  // HTTP/2 has no Connection header and ends a stream by itself; this server speaks HTTP/1.1.
  // `complete`: the parser has received the whole message, body included (read by the app or not).
  if (!(incoming instanceof IncomingMessage) || incoming.complete || outgoing.headersSent) return undefined;
  const body = request.body;
  const discarded = body && !body.locked ? discard(body) : Promise.resolve();
  return discarded.then(() => {
    if (!incoming.complete && !outgoing.headersSent) outgoing.setHeader("Connection", "close");
  });
}

/** Reads `body` to its end, DISCARD_MAX_BYTES or DISCARD_MAX_MS, whichever comes first. */
async function discard(body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  let stop = false;
  let timer: NodeJS.Timeout | undefined;
  // Cancelling the stream would destroy the socket, and the answer with it: stop waiting instead.
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, DISCARD_MAX_MS)));
  const read = (async () => {
    let bytes = 0;
    while (!stop && bytes <= DISCARD_MAX_BYTES) {
      const { done, value } = await reader.read();
      if (done) return;
      bytes += value.byteLength;
    }
  })().catch(() => {}); // the client went away: nothing to wait for
  await Promise.race([read, timeout]);
  stop = true;
  clearTimeout(timer);
}
