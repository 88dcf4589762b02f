/**
 * Regression tests for a client that hangs up while its call waits for a slot of its share (KEY_CONCURRENCY): the
 * tRPC and REST handlers read a copy of a POST's Request that carried no signal, so the server never learnt of the
 * hang-up and the call, once a slot freed, ran to the end for nobody (here: wrote a row). Now the copy carries the
 * connection's signal and a waiting call whose client left leaves the line. PostgreSQL only: a lock held from
 * another connection (what makes the slot's holder slow here, deterministically) needs a server.
 */
import { createMemoryMirrorClient, errorCode } from "@memory-mirror/client";
import { testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { Locker } from "./support/locker.ts";

const postgres = (await testTargets()).find((t) => t.name === "postgres");

/** Time for a request sent on this host to reach the server and join the line: loopback takes microseconds. */
const ARRIVAL_MS = 300;

describe.skipIf(!postgres || !!postgres.skip)("a client that hangs up while its call waits (postgres)", () => {
  let server: TestServer;
  let locker: Locker;
  beforeAll(async () => {
    // One call at a time for the space, and a line long enough that only a hang-up can take a call out of it.
    server = await startTestServer("postgres", { auth: "off", keyConcurrency: 1, keyQueueMs: 30_000 });
    locker = await Locker.open(server.databaseUrl);
  });
  afterAll(async () => {
    await locker?.end();
    await server?.close();
  });

  const client = () => createMemoryMirrorClient({ url: server.url, batch: false });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** Runs `during` while a call of the space's only slot waits on a row lock; answers what the held call answered. */
  async function withSlotHeld(videoId: string, during: () => Promise<void>) {
    await client().videoAnalysis.create.mutate({ videoId, description: "Held by another session." });
    await locker.query("BEGIN");
    await locker.query(`SELECT 1 FROM "VideoAnalysis" WHERE "videoId" = $1 FOR UPDATE`, [videoId]);
    let held: Promise<unknown> | undefined;
    try {
      held = client().videoAnalysis.update.mutate({ videoId, description: "Rewritten." });
      await sleep(ARRIVAL_MS);
      await during();
    } finally {
      await locker.query("ROLLBACK");
    }
    return (await held) as { version: number };
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
    });
    expect((await fetch(`${server.url}/api/video-analysis/never-rest`)).status).toBe(404);
  });
});
