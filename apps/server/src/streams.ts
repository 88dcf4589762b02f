/**
 * Open change streams (tRPC onChange, REST /api/changes): bounded per process and per key (per address without
 * auth), each counted from its request until its response body ends, however it ends.
 */
import type { Context, MiddlewareHandler } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { AppEnv } from "./request-variables.ts";
import type { ServerConfig } from "./config.ts";
import type { Metrics } from "./metrics.ts";
import type { ProblemRenderer } from "./problems.ts";

export class StreamSlots {
  readonly #perKey = new Map<string, number>();
  #open = 0;

  constructor(
    readonly config: Pick<ServerConfig, "maxStreams" | "maxStreamsPerKey">,
    private readonly metrics: Metrics,
  ) {}

  get open(): number {
    return this.#open;
  }

  /** A release function, or which limit refused the stream. */
  acquire(who: string): (() => void) | "process" | "key" {
    if (this.#open >= this.config.maxStreams) return "process";
    const mine = this.#perKey.get(who) ?? 0;
    if (mine >= this.config.maxStreamsPerKey) return "key";
    this.#perKey.set(who, mine + 1);
    this.#open++;
    this.metrics.streamOpened();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#open--;
      this.metrics.streamClosed();
      const left = (this.#perKey.get(who) ?? 1) - 1;
      if (left === 0) this.#perKey.delete(who);
      else this.#perKey.set(who, left);
    };
  }
}

/** Who a stream counts against: the key, or the address when calls carry none. */
const streamOwner = (c: Context<AppEnv>) => {
  const { principal } = c.var.ctx;
  return principal.keyId ? `key:${principal.keyId}` : `ip:${getConnInfo(c).remote.address ?? "unknown"}`;
};

/** After the transport guards: refuses a stream past the limits (429), and holds its slot until its body ends. */
export function limitStreams(slots: StreamSlots, render: ProblemRenderer): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const release = slots.acquire(streamOwner(c));
    if (typeof release === "string") {
      const message =
        release === "process"
          ? `This server has as many open change streams as it serves (MAX_STREAMS=${slots.config.maxStreams}); retry shortly or on another server`
          : `This key has as many open change streams as it may (MAX_STREAMS_PER_KEY=${slots.config.maxStreamsPerKey}); close one first`;
      return render(c, { code: "TOO_MANY_REQUESTS", message, headers: { "Retry-After": "5" } });
    }
    try {
      await next();
    } catch (error) {
      release();
      throw error;
    }
    c.res = onBodyEnd(c.res, release);
  };
}

/** The same response, calling `done` once when its body has been read to the end, failed, or was cancelled. */
export function onBodyEnd(response: Response, done: () => void): Response {
  const source = response.body;
  if (!source) {
    done();
    return response;
  }
  const reader = source.getReader();
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    done();
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done: end, value } = await reader.read();
        if (end) {
          finish();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        finish();
        controller.error(error);
      }
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
