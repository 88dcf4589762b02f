/**
 * Regression tests for what a call answers when it runs out of time on a database that is up: a statement PostgreSQL
 * stops (statement_timeout) says the database took too long, and a call that first waited for a free pooled
 * connection says the database was busy — neither says the database is not reachable. PostgreSQL only: a lock held
 * from another connection (what makes statements slow here, deterministically) and timeouts need a server.
 */
import { createMemoryMirrorClient, errorCode, type TRPCClientError } from "@memory-mirror/client";
import { Locker, testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";

const postgres = (await testTargets()).find((t) => t.name === "postgres");

const TOOK_TOO_LONG = /^The database took too long on this request and stopped it \(DATABASE_TIMEOUT_MS\)/;
const BUSY = /^The database is busy: this request waited for a free connection, then ran out of time/;

describe.skipIf(!postgres || !!postgres.skip)("calls that run out of time (postgres)", () => {
  let server: TestServer;
  let locker: Locker;
  beforeAll(async () => {
    // statement_timeout is 4.5 s of these 5: the margin of 0.5 s lets PostgreSQL's own stop arrive first on a loaded
    // machine. One pooled connection, so a second call waits for the first.
    server = await startTestServer(
      "postgres",
      {},
      { env: { DATABASE_TIMEOUT_MS: "5000", DATABASE_POOL_SIZE: "1", KEY_CONCURRENCY: "10" } },
    );
    locker = await Locker.open(server.databaseUrl);
  });
  afterAll(async () => {
    await locker?.end();
    await server?.close();
  });

  const client = () => createMemoryMirrorClient({ url: server.url, batch: false });

  it("a write PostgreSQL stops at statement_timeout says the database took too long, not that it is unreachable", async () => {
    const mm = client();
    await mm.videoAnalysis.create.mutate({ videoId: "held", description: "A row someone holds a lock on." });
    const lockRow = `SELECT 1 FROM "VideoAnalysis" WHERE "videoId" = 'held' FOR UPDATE`;

    const error = await locker.whileLocked([lockRow], () =>
      mm.videoAnalysis.update.mutate({ videoId: "held", description: "Rewritten." }).catch((e: unknown) => e),
    );
    expect(errorCode(error)).toBe("SERVICE_UNAVAILABLE");
    expect((error as TRPCClientError<never>).message).toMatch(TOOK_TOO_LONG);

    // REST answers the same words with 503.
    const rest = await locker.whileLocked([lockRow], () =>
      fetch(`${server.url}/api/video-analysis/held`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ description: "Rewritten over REST." }),
      }),
    );
    expect(rest.status).toBe(503);
    expect(((await rest.json()) as { detail: string }).detail).toMatch(TOOK_TOO_LONG);

    // Nothing was written, and the row takes writes again once the lock is gone.
    expect((await mm.videoAnalysis.byVideoId.query({ videoId: "held" })).version).toBe(1);
    expect((await mm.videoAnalysis.update.mutate({ videoId: "held", description: "Now." })).version).toBe(2);
  });

  it("a search that first waited for the only pooled connection says the database was busy", async () => {
    const mm = client();
    await mm.videoAnalysis.create.mutate({ videoId: "walk", description: "A long walk by the sea at dawn." });
    const error = await locker.whileLocked(
      [
        `SELECT 1 FROM "VideoAnalysis" WHERE "videoId" = 'walk' FOR UPDATE`,
        // The search looks its words up in the vocabulary: locked, its statement waits too.
        `LOCK TABLE "SearchTerm" IN ACCESS EXCLUSIVE MODE`,
      ],
      async () => {
        // The write takes the pool's one connection and waits on the row until PostgreSQL stops it (4.5 s)...
        const write = mm.videoAnalysis.update.mutate({ videoId: "walk", description: "Rewritten." }).catch(() => {});
        await locker.untilWaiting(1);
        // ...while the search waits for that connection, and then has less time left than the server's own bound.
        const search = mm.videoAnalysis.search.query({ query: "wlak sae dwan" }).catch((e: unknown) => e);
        await write;
        return search;
      },
    );
    expect(errorCode(error)).toBe("SERVICE_UNAVAILABLE");
    expect((error as TRPCClientError<never>).message).toMatch(BUSY);

    // The pool recovers once the locks are gone.
    expect((await mm.videoAnalysis.search.query({ query: "walk" })).items).toHaveLength(1);
  });
});
