/**
 * Regression tests for a client that hangs up while its call waits for a slot of its share (KEY_CONCURRENCY): the
 * tRPC and REST handlers read a copy of a POST's Request that carried no signal, so the server never learnt of the
 * hang-up and the call, once a slot freed, ran to the end for nobody (here: wrote a row). Now the copy carries the
 * connection's signal and a waiting call whose client left leaves the line. PostgreSQL only: a lock held from
 * another connection (what makes the slot's holder slow here, deterministically) needs a server.
 */
import { createMemoryMirrorClient, errorCode } from "@memory-mirror/client";
import { Locker, testTargets } from "@memory-mirror/db/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ACCESS_LINE } from "../src/logger.ts";
import { startTestServer, type TestServer } from "../src/testing.ts";

const postgres = (await testTargets()).find((t) => t.name === "postgres");

/**
 * Time for a request sent on this host to reach the server and join the line: loopback takes microseconds. Should it
 * take longer, the call leaves no 499 in the access log and the test fails; it cannot pass for the wrong reason.
 */
const ARRIVAL_MS = 300;

describe.skipIf(!postgres || !!postgres.skip)("a client that hangs up while its call waits (postgres)", () => {
  let server: TestServer;
  let locker: Locker;
  const access: { path: string; status: number }[] = [];
  beforeAll(async () => {
    // The access log says whether a call reached the server and how it left: 499, its client gone.
    const logger = pino(
      { level: "info" },
      {
        write: (line: string) => {
          const entry = JSON.parse(line) as { msg: string; path: string; status: number };
          if (entry.msg === ACCESS_LINE) access.push({ path: entry.path, status: entry.status });
        },
      },
    );
    // One call at a time for the space, and a line long enough that only a hang-up can take a call out of it.
    server = await startTestServer("postgres", { auth: "off", keyConcurrency: 1, keyQueueMs: 30_000 }, { logger });
    locker = await Locker.open(server.databaseUrl);
  });
  afterAll(async () => {
    await locker?.end();
    await server?.close();
  });

  const client = () => createMemoryMirrorClient({ url: server.url, batch: false });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** Resolves once the server has logged that a call to `path` left the line because its client hung up. */
  const untilHungUp = (path: string) =>
    vi.waitFor(() => expect(access.filter((a) => a.path === path).map((a) => a.status)).toContain(499), {
      timeout: 10_000,
    });

  /** Runs `during` while a call of the space's only slot waits on a row lock; answers what the held call answered. */
  async function withSlotHeld(videoId: string, during: () => Promise<void>) {
    await client().videoAnalysis.create.mutate({ videoId, description: "Held by another session." });
    const held = await locker.whileLocked(
      [`SELECT 1 FROM "VideoAnalysis" WHERE "videoId" = '${videoId}' FOR UPDATE`],
      async () => {
        const update = client().videoAnalysis.update.mutate({ videoId, description: "Rewritten." });
        // Should `during` fail, that failure is the one to show, not this call's too (awaited below otherwise).
        update.catch(() => {});
        // Waiting on the row lock, the update holds the slot: whatever comes next has to wait in line.
        await locker.untilWaiting(1);
        await during();
        // Wrapped: returned bare, the promise would be awaited before the rollback that lets the update finish.
        return { update };
      },
    );
    return await held.update;
  }

  it("a tRPC mutation whose client hung up in line never runs", async () => {
    const held = await withSlotHeld("held-trpc", async () => {
      const hangUp = new AbortController();
      const gone = client()
        .videoAnalysis.create.mutate(
          { videoId: "never-trpc", description: "Nobody waits for me." },
          {
            signal: hangUp.signal,
          },
        )
        .catch((e: unknown) => e);
      await sleep(ARRIVAL_MS);
      hangUp.abort();
      expect(await gone).toBeInstanceOf(Error);
      // It had reached the line, and the server learnt of the hang-up while the slot was still held.
      await untilHungUp("/trpc/videoAnalysis.create");
    });
    expect(held.version).toBe(2);
    // The next call of the space finds the slot free, and the call that was left behind did not run.
    const missing = await client()
      .videoAnalysis.byVideoId.query({ videoId: "never-trpc" })
      .catch((e: unknown) => errorCode(e));
    expect(missing).toBe("NOT_FOUND");
  });

  it("a REST write whose client hung up in line never runs", async () => {
    await withSlotHeld("held-rest", async () => {
      const hangUp = new AbortController();
      const gone = fetch(`${server.url}/api/video-analysis/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ video_id: "never-rest", description: "Nobody waits for me." }),
        signal: hangUp.signal,
      }).catch((e: unknown) => e);
      await sleep(ARRIVAL_MS);
      hangUp.abort();
      expect(await gone).toBeInstanceOf(Error);
      await untilHungUp("/api/video-analysis");
    });
    expect((await fetch(`${server.url}/api/video-analysis/never-rest`)).status).toBe(404);
  });
});
