/** The SSE stream of GET /api/changes over the process's change feed. */
import type { RouteHandler, z } from "@hono/zod-openapi";
import { type Change, controlEvent, mintStreamToken, StreamEndedError } from "@memory-mirror/api";
import type { AppEnv } from "../../request-variables.ts";
import { toRest } from "../video-analysis/handlers.ts";
import type { mintStreamToken as mintRoute, restChangeEvent, streamChanges } from "./routes.ts";

/** A comment line every so often keeps proxies from closing a quiet stream. */
const PING_MS = 15_000;
/** How soon an EventSource reconnects after the stream ends. */
const RETRY_MS = 1000;

const encoder = new TextEncoder();
const frame = (id: bigint, data: string) => encoder.encode(`id: ${id}\ndata: ${data}\n\n`);

/** A change's event in its REST form (snake_case), framed and encoded once however many streams send it. */
const framed = new WeakMap<Change, Uint8Array>();
function restFrame(change: Change): Uint8Array {
  let bytes = framed.get(change);
  if (bytes === undefined) {
    const event = change.event;
    const at = event.at instanceof Date ? event.at.toISOString() : event.at;
    let body: z.output<typeof restChangeEvent>;
    if (event.type === "deleted")
      body = { type: "deleted", video_id: event.videoId, version: event.version, at, tags: event.tags };
    else if (event.type === "created" || event.type === "updated")
      body = {
        type: event.type,
        video_id: event.videoId,
        version: event.version,
        at,
        tags: event.tags,
        ...(event.analysis ? { analysis: toRest(event.analysis) } : {}),
      };
    else throw new Error(`not a change: ${event.type}`);
    bytes = frame(change.id, JSON.stringify(body));
    framed.set(change, bytes);
  }
  return bytes;
}

export const stream: RouteHandler<typeof streamChanges, AppEnv> = (c) => {
  const query = c.req.valid("query");
  const lastEventId = c.req.valid("header")["last-event-id"] ?? query.last_event_id;
  const ctx = c.var.ctx;
  const feed = ctx.changes;
  if (!feed) return c.json({ detail: "Live changes are not served here" }, 503);
  const abort = new AbortController();
  const changes = feed.stream(ctx.space, {
    tags: query.tags,
    videoIds: query.video_id ? new Set(query.video_id) : undefined,
    after: lastEventId !== undefined ? BigInt(lastEventId) : undefined,
    signal: abort.signal,
  });
  let ping: NodeJS.Timeout | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`retry: ${RETRY_MS}\n\n`));
      ping = setInterval(() => {
        try {
          controller.enqueue(encoder.encode(": ping\n\n"));
        } catch {
          clearInterval(ping);
        }
      }, PING_MS);
    },
    async pull(controller) {
      try {
        const next = await changes.next();
        if (next.done) {
          clearInterval(ping);
          controller.close();
          return;
        }
        const item = next.value;
        controller.enqueue(
          item.kind === "change"
            ? restFrame(item.change)
            : frame(item.id, JSON.stringify(controlEvent(item.kind, item.at))),
        );
      } catch (error) {
        clearInterval(ping);
        // Cut (slow consumer, shutdown): end the stream; the client reconnects with its last id.
        if (error instanceof StreamEndedError) controller.close();
        else controller.error(error);
      }
    },
    cancel() {
      clearInterval(ping);
      abort.abort();
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      "X-Accel-Buffering": "no",
    },
  });
};

export const mint: RouteHandler<typeof mintRoute, AppEnv> = async (c) => {
  const { principal, prisma, space } = c.var.ctx;
  const { token, expiresAt } = await mintStreamToken(prisma, principal, space);
  return c.json({ token, expires_at: expiresAt.toISOString() }, 200);
};
