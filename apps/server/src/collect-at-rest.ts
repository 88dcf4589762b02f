/**
 * Gives memory back once the server rests. V8 shrinks its heap only when it collects, and an idle process gives it no
 * reason to (its memory reducer never ran in 45 s of rest here): the young generation that start-up or the last
 * requests grew to 2 × 16 MB stayed committed. So once no request has arrived for `restMs`, the server runs a
 * young-generation collection (a few ms), and if the rest lasts `settleMs` more, one full collection. The order
 * matters: V8 shrinks the young generation after a full collection only when under 1 KB/ms was allocated over the
 * last 5 s of its allocation samples, taken at collections; the young collection closes the busy period's sample, so
 * the full one, more than 5 s later, sees the rest alone. A full collection alone freed nothing at rest.
 *
 * Measured (docs/performance.md, "Memory at rest"): the idle embedded server at 174–177 MB in every run, against
 * 172–199 MB without (V8's memory reducer shrank it by itself in some runs after 40 s of rest, in none after 10 s),
 * for a full collection of 40–170 ms on this loaded machine. The price comes after the rest: the young generation
 * regrows only as objects survive, so the next requests meet more frequent scavenges (the first 300 lookups after a
 * rest cost 1.6× the CPU). Hence 30 s: pauses between a client's calls keep it, a server left alone gives it back.
 * Under load nothing happens: any request or open stream (a change stream, an MCP stream, a long call) is activity
 * until it ends, so a server whose only clients are subscribers never pauses for a full collection while it pushes
 * their changes. The watch costs a timer per `restMs`.
 *
 * COLLECT_AT_REST_MS and COLLECT_AT_REST_SETTLE_MS (config.ts) set the timings; COLLECT_AT_REST_MS=0 turns it off.
 * Without `--expose-gc` it reaches V8's gc through an undocumented path (nodejs/node#16595, checked on Node 20); if
 * that fails, the server starts without collecting at rest.
 */
import type { Server } from "node:http";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

export interface CollectAtRestTimes {
  /** Milliseconds with nothing in flight that start a rest (and its young-generation collection). */
  restMs: number;
  /** Milliseconds more of rest before the full collection. */
  settleMs: number;
}

/**
 * Watches `server` and collects with `gc` at each rest after activity (start-up counts as activity); after the full
 * collection it waits for the next request. `lastActive` says when the server last had a request in flight
 * (performance.now() while it has one). `onCollected` hears of each collection and the time it took. Returns the
 * function that stops watching.
 */
export function collectAtRest(
  server: Server,
  lastActive: () => number,
  gc: NodeJS.GCFunction,
  { restMs, settleMs }: CollectAtRestTimes,
  onCollected?: (kind: "young" | "full", ms: number) => void,
): () => void {
  let restedAt: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const collect = (kind: "young" | "full") => {
    const started = performance.now();
    // No argument: a full collection. V8 11 reads any argument but { type: "minor" } as the old `gc(true)`, minor.
    if (kind === "young") gc({ type: "minor" });
    else gc();
    onCollected?.(kind, performance.now() - started);
  };
  const check = () => {
    const active = lastActive();
    const quiet = performance.now() - active;
    if (restedAt !== undefined && active < restedAt) {
      timer = undefined;
      collect("full");
    } else if (quiet >= restMs) {
      restedAt = performance.now();
      collect("young");
      timer = setTimeout(check, settleMs).unref();
    } else {
      restedAt = undefined;
      timer = setTimeout(check, restMs - quiet).unref();
    }
  };
  const onRequest = () => {
    timer ??= setTimeout(check, restMs).unref();
  };
  server.on("request", onRequest);
  timer = setTimeout(check, restMs).unref();
  return () => {
    server.off("request", onRequest);
    clearTimeout(timer);
    timer = undefined;
  };
}

/**
 * V8's gc, or undefined if it cannot be had. Without `--expose-gc` on node's command line: set in process, the flag
 * gives gc to contexts created after it (nodejs/node#16595, V8 behaviour Node does not document), so one new context
 * hands it over; the flag is cleared again at once.
 */
export function exposedGc(): NodeJS.GCFunction | undefined {
  if (globalThis.gc) return globalThis.gc;
  try {
    setFlagsFromString("--expose-gc");
    try {
      const gc: unknown = runInNewContext("typeof gc === 'function' ? gc : undefined");
      return typeof gc === "function" ? (gc as NodeJS.GCFunction) : undefined;
    } finally {
      setFlagsFromString("--no-expose-gc");
    }
  } catch {
    return undefined;
  }
}
