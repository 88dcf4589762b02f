/**
 * Regression tests for a client that hangs up while its read RUNS: before, the call's PostgreSQL statement went on
 * to its end (bounded only by statement_timeout) for nobody, holding a pooled connection and the database's time.
 * Now the reads that can run long (search, context, list, export, tags) cancel their statement when the
 * connection's signal aborts, over tRPC (GET and POST), REST and MCP alike. A write keeps running: it commits whole
 * or rolls back by PostgreSQL's rules, never cut half-way. PostgreSQL only: the embedded database cannot interrupt
 * a statement (docs/performance.md, "Hang-ups").
 */
import { createMemoryMirrorClient } from "@memory-mirror/client";
import { Locker, testTargets } from "@memory-mirror/db/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ACCESS_LINE } from "../src/logger.ts";
import { startTestServer, type TestServer } from "../src/testing.ts";

const postgres = (await testTargets()).find((t) => t.name === "postgres");

/**
 * How long a cancelled statement may still wait in pg_stat_activity after the client hung up: the hang-up reaches
 * the server and the cancel request the database in milliseconds on this host. statement_timeout is 19 s here
 * (DATABASE_TIMEOUT_MS 20 s), so only a cancel passes; a statement left running fails this.
 */
const GONE_WITHIN_MS = 3000;

describe.skipIf(!postgres || !!postgres.skip)("a client that hangs up while its read runs (postgres)", () => {
  let server: TestServer;
  let locker: Locker;
  const access: { path: string; status: number }[] = [];
  const errors: string[] = []; // warnings and errors: a hang-up is neither
  beforeAll(async () => {
    const logger = pino(
      { level: "info" },
      {
        write: (line: string) => {
          const entry = JSON.parse(line) as { msg: string; path: string; status: number; level: number };
          if (entry.msg === ACCESS_LINE) access.push({ path: entry.path, status: entry.status });
          else if (entry.level >= 40) errors.push(line);
        },
      },
    );
    // A pool of two: the cancelled calls' connections must come back for the calls after them to run.
    server = await startTestServer(
      "postgres",
      { auth: "off" },
      { logger, env: { DATABASE_TIMEOUT_MS: "20000", DATABASE_POOL_SIZE: "2" } },
    );
    locker = await Locker.open(server.databaseUrl);
    await client().videoAnalysis.upsertMany.mutate({
      items: Array.from({ length: 20 }, (_, i) => ({
        videoId: `kept-${i}`,
        description: `A birthday party in the kitchen, number ${i}.`,
        tags: ["party"],
      })),
    });
  });
  afterAll(async () => {
    await locker?.end();
    await server?.close();
  });

  const client = () => createMemoryMirrorClient({ url: server.url, batch: false });

  /** Everything stored, as an export reads it: what no hang-up may change. */
  const stored = async () => JSON.stringify(await client().videoAnalysis.export.query({ limit: 1000 }));

  /**
   * Sends a read while the table is locked (ACCESS EXCLUSIVE blocks even a SELECT), waits until its statement waits
   * on the lock in pg_stat_activity, hangs up, and asserts that statement is gone while the lock is still held.
   */
  async function hangUpWhileWaiting(path: string, send: (signal: AbortSignal) => Promise<unknown>, logged = 499) {
    const before = await stored();
    const seen = access.length;
    await locker.whileLocked([`LOCK TABLE "VideoAnalysis" IN ACCESS EXCLUSIVE MODE`], async () => {
      const hangUp = new AbortController();
      const gone = send(hangUp.signal).catch((e: unknown) => e);
      await locker.untilWaiting(1);
      hangUp.abort();
      expect(await gone).toBeInstanceOf(Error);
      // Cancelled on the server: nothing waits on the lock any more, long before statement_timeout could stop it.
      await vi.waitFor(async () => expect(await locker.waitingOnLocks()).toBe(0), { timeout: GONE_WITHIN_MS });
      // The server logged the call as its client's hang-up, not as a failure of its own.
      await vi.waitFor(() => expect(access.slice(seen).find((a) => a.path.startsWith(path))?.status).toBe(logged), {
        timeout: GONE_WITHIN_MS,
      });
    });
    // The pool's connections came back usable, and nothing stored changed.
    expect(await stored()).toBe(before);
    const { items } = await client().videoAnalysis.search.query({ query: "birthday kitchen", limit: 5 });
    expect(items).toHaveLength(5);
    expect(errors).toEqual([]);
  }

  it("a tRPC search (GET) whose client hung up is cancelled on PostgreSQL", async () => {
    await hangUpWhileWaiting("/trpc/videoAnalysis.search", (signal) =>
      client().videoAnalysis.search.query({ query: "birthday kitchen" }, { signal }),
    );
  });

  it("a tRPC context in a batch (POST) whose client hung up is cancelled on PostgreSQL", async () => {
    // The batching client sends queries as POST (method override): the POST's copy of the request carries the signal.
    const batching = createMemoryMirrorClient({ url: server.url });
    await hangUpWhileWaiting("/trpc/videoAnalysis.context", (signal) =>
      batching.videoAnalysis.context.query({ query: "birthday", maxChars: 2000 }, { signal }),
    );
  });

  it("a tRPC list and export whose client hung up are cancelled on PostgreSQL", async () => {
    await hangUpWhileWaiting("/trpc/videoAnalysis.list", (signal) =>
      client().videoAnalysis.list.query({ limit: 10 }, { signal }),
    );
    await hangUpWhileWaiting("/trpc/videoAnalysis.export", (signal) =>
      client().videoAnalysis.export.query({ limit: 10 }, { signal }),
    );
  });

  it("REST search (POST), list and tags (GET) whose client hung up are cancelled on PostgreSQL", async () => {
    await hangUpWhileWaiting("/api/search", (signal) =>
      fetch(`${server.url}/api/search`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: "birthday kitchen" }),
        signal,
      }),
    );
    await hangUpWhileWaiting("/api/video-analysis", (signal) =>
      fetch(`${server.url}/api/video-analysis/?limit=10`, { signal }),
    );
    await hangUpWhileWaiting("/api/tags", (signal) => fetch(`${server.url}/api/tags`, { signal }));
  });

  it("an MCP search_memories whose client hung up is cancelled on PostgreSQL, logged as the 200 MCP answers", async () => {
    // A cancelled tool call is a tool result (isError) like any failure, inside a 200: that is what the log shows.
    await hangUpWhileWaiting(
      "/mcp",
      (signal) =>
        fetch(`${server.url}/mcp`, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
          body: JSON.stringify({
            jsonrpc: "2.0",
            id: 1,
            method: "tools/call",
            params: { name: "search_memories", arguments: { query: "birthday kitchen" } },
          }),
          signal,
        }).then((response) => response.text()),
      200,
    );
  });

  it("a write whose client hung up is not cut: it commits whole once the lock it waits on is released", async () => {
    const items = Array.from({ length: 20 }, (_, i) => ({
      videoId: `kept-${i}`,
      description: `Rewritten while its client left, number ${i}.`,
      tags: ["party"],
    }));
    const seen = access.length;
    await locker.whileLocked([`SELECT 1 FROM "VideoAnalysis" WHERE "videoId" = 'kept-19' FOR UPDATE`], async () => {
      const hangUp = new AbortController();
      const gone = client()
        .videoAnalysis.upsertMany.mutate({ items }, { signal: hangUp.signal })
        .catch((e: unknown) => e);
      // The write's transaction waits on the locked row, some of its rows already written inside it.
      await locker.untilWaiting(1);
      hangUp.abort();
      expect(await gone).toBeInstanceOf(Error);
      // Not cancelled: the write still waits for its row (a cancel would have ended the wait at once).
      await new Promise((r) => setTimeout(r, 500));
      expect(await locker.waitingOnLocks()).toBe(1);
    });
    // The lock released, the write commits every item, each once.
    await vi.waitFor(() => expect(access.slice(seen).map((a) => a.path)).toContain("/trpc/videoAnalysis.upsertMany"), {
      timeout: GONE_WITHIN_MS,
    });
    const { items: after } = await client().videoAnalysis.export.query({ limit: 1000 });
    const byVideoId = (a: { videoId: string }, b: { videoId: string }) => a.videoId.localeCompare(b.videoId);
    expect(after.sort(byVideoId).map((a) => [a.videoId, a.description, a.version])).toEqual(
      items.sort(byVideoId).map((item) => [item.videoId, item.description, 2]),
    );
  });
});
