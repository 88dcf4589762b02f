/**
 * A request whose URL and headers exceed Node's limit (http.maxHeaderSize, 16 KB unless --max-http-header-size says
 * otherwise) never reaches the app: Node's parser refuses it, and left alone answers a bare 431 with an empty body,
 * which tells nobody what to do. The usual cause is a long tRPC query sent as GET (its input travels in the URL).
 * Here it gets 414 (the URL alone is too long) or 431 with a JSON body in the shape the transport's clients parse,
 * saying what to do instead. Every other malformed request keeps the answer Node gives it.
 *
 * Node hands over only the piece of the head that passed the limit (the error's rawPacket), not the whole head: the
 * path and the URL's length are read only when that piece starts with the request line. A head that came in several
 * pieces gets a 431 whose one body every transport's client reads (tRPC's error, JSON-RPC's, REST's detail).
 */
import http, { type Server } from "node:http";
import type { Socket } from "node:net";

/** How long the rest of a refused request is read and dropped before the connection is cut (unread-bodies.ts). */
const DISCARD_MAX_MS = 2000;

type ParserError = Error & { code?: string; rawPacket?: Buffer };
/** Node's own fields on a socket serving HTTP: the answer it is writing, if any (socketOnError reads the same). */
type HttpSocket = Socket & { _httpMessage?: { headersSent?: boolean } | null };

/** Node's own answers to the other errors of its parser (see socketOnError in node's _http_server.js). */
const NODE_ANSWERS: Record<string, string> = {
  HPE_CHUNK_EXTENSIONS_OVERFLOW: "413 Payload Too Large",
  ERR_HTTP_REQUEST_TIMEOUT: "408 Request Timeout",
};

export function answerClientErrors(server: Server): void {
  const answered = new WeakSet<Socket>();
  server.on("clientError", (error: ParserError, socket: HttpSocket) => {
    // The parser goes on reporting the rest of the refused request as errors: the first one is answered.
    if (answered.has(socket)) return;
    answered.add(socket);
    // An answer already under way on this connection (a kept-alive one, its next request refused): writing ours now
    // would land inside that answer's body. Node cuts the connection then, and so do we.
    if (!socket.writable || error.code === "ECONNRESET" || socket._httpMessage?.headersSent)
      return void socket.destroy();
    if (error.code === "HPE_HEADER_OVERFLOW") return refuse(socket, oversized(error.rawPacket));
    socket.end(`HTTP/1.1 ${NODE_ANSWERS[error.code ?? ""] ?? "400 Bad Request"}\r\nConnection: close\r\n\r\n`);
    socket.destroy();
  });
}

interface Refusal {
  status: "414 URI Too Long" | "431 Request Header Fields Too Large";
  body: string;
}

/** The answer for a head over the limit, from what arrived of it (the request line first, when it is there). */
export function oversized(packet: Buffer | undefined): Refusal {
  const limit = `${Math.round(http.maxHeaderSize / 1024)} KB`;
  const head = packet?.subarray(0, 2048).toString("latin1") ?? "";
  const path = /^[A-Z]+ (\/[^?\s]*)/.exec(head)?.[1];
  if (path === undefined) return unplaced(limit);
  const lineEnd = packet!.indexOf("\r\n");
  // The URL is to blame when its line alone did not end within the limit, or takes most of it.
  const urlTooLong = lineEnd < 0 || lineEnd > http.maxHeaderSize / 2;
  const status = urlTooLong ? "414 URI Too Long" : "431 Request Header Fields Too Large";
  const what = urlTooLong
    ? `The request's URL is longer than this server accepts (${limit} for the URL and headers together)`
    : `The request's headers are larger than this server accepts (${limit} for the URL and headers together)`;
  if (path === "/trpc" || path.startsWith("/trpc/")) {
    const message = urlTooLong ? `${what}. ${SEND_AS_POST}` : `${what}; send fewer or shorter headers.`;
    return { status, body: JSON.stringify({ error: trpcError(message, status) }) };
  }
  const message = urlTooLong
    ? `${what}. Shorten the query string (fewer or shorter parameters).`
    : `${what}; send fewer or shorter headers.`;
  if (path === "/mcp" || path.startsWith("/mcp/"))
    return { status, body: JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }) };
  return { status, body: JSON.stringify({ detail: message }) };
}

const SEND_AS_POST =
  'Send long queries as POST (tRPC\'s httpLink or httpBatchLink with methodOverride: "POST"; ' +
  "@memory-mirror/client does so for batched calls), which this server accepts, or split the batch.";

/**
 * tRPC's error shape. Its code is BAD_REQUEST's (tRPC has none for 414/431); httpStatus says the status sent.
 * The shape is also a JSON-RPC error object (message, code, data), so MCP's clients read it too.
 */
function trpcError(message: string, status: Refusal["status"]) {
  return { message, code: -32600, data: { code: "BAD_REQUEST", httpStatus: Number(status.slice(0, 3)) } };
}

/** A head whose request line is not in the piece Node handed over: one body for every transport's client. */
function unplaced(limit: string): Refusal {
  const status = "431 Request Header Fields Too Large";
  const message =
    `The request's URL and headers together are larger than this server accepts (${limit}). ` +
    `Shorten the URL or send fewer headers; a tRPC client: ${SEND_AS_POST}`;
  return {
    status,
    body: JSON.stringify({ jsonrpc: "2.0", id: null, error: trpcError(message, status), detail: message }),
  };
}

/**
 * Answers and half-closes, then reads and drops what the client still sends before closing: cut at once, a client
 * still sending gets a reset instead of the answer.
 */
function refuse(socket: Socket, { status, body }: Refusal): void {
  // The HTTP parser stops here: the rest of the request is dropped unread.
  socket.removeAllListeners("data");
  socket.on("data", () => {});
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), DISCARD_MAX_MS).unref();
  socket.once("close", () => clearTimeout(timer));
  socket.once("end", () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  );
}
