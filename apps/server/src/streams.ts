/**
 * Open change streams (tRPC onChange, REST /api/changes): bounded per process and per key (per address without
 * auth), each counted from its request until its response ends, however it ends.
 */
import type { ServerResponse } from "node:http";
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
    // Served by node:http (the server): the response's "close" comes however it ends (its body done, the client
    // gone, the connection cut). Cheaper than wrapping the body in another stream, which costs each idle stream a
    // ReadableStream, its reader and a pending read (≈ 5 KB of heap; fan-out bench).
    // @hono/node-server hands every request its node:http response as `outgoing`.
    (c.env as { outgoing: ServerResponse }).outgoing.once("close", release);
  };
}
