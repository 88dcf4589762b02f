/**
 * One caller's slow calls must not take every pooled connection (KEY_CONCURRENCY): beyond its share they wait in
 * line briefly, then are refused with 429 and Retry-After, while another key keeps being answered. And one search
 * statement is bounded in time (statement_timeout): stopped, it answers 503 saying so. PostgreSQL only: holding a
 * lock from another connection (what makes calls slow here, deterministically) and statement timeouts need a
 * server; the embedded database has one connection and no timers.
 */
import { createMemoryMirrorClient, errorCode, type TRPCClientError } from "@memory-mirror/client";
import { Locker, testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";

const postgres = (await testTargets()).find((t) => t.name === "postgres");

describe.skipIf(!postgres || !!postgres.skip)("each key's share of the database (postgres)", () => {
  let server: TestServer;
  let locker: Locker;
  beforeAll(async () => {
    // A pool of 10 (the default); each key may run 2 calls at once, and waits 500 ms for a slot.
    server = await startTestServer("postgres", { auth: "required", keyConcurrency: 2, keyQueueMs: 500 });
    locker = await Locker.open(server.databaseUrl);
  });
  afterAll(async () => {
    await locker?.end();
    await server?.close();
  });

  it("one key's calls stuck on a lock take its share only: the rest are refused, another key is answered", async () => {
    const aliceKey = await server.createKey({ name: "alice", space: "alice", scopes: ["read", "write"] });
    const bobKey = await server.createKey({ name: "bob", space: "bob", scopes: ["read", "write"] });
    const alice = createMemoryMirrorClient({ url: server.url, apiKey: aliceKey, batch: false });
    const bob = createMemoryMirrorClient({ url: server.url, apiKey: bobKey, batch: false });
    await alice.videoAnalysis.create.mutate({ videoId: "busy", description: "A row someone holds a lock on." });
    await bob.videoAnalysis.create.mutate({ videoId: "mine", description: "Bob's own memory." });

    await locker.query("BEGIN");
    await locker.query(`SELECT 1 FROM "VideoAnalysis" WHERE "space" = 'alice' AND "videoId" = 'busy' FOR UPDATE`);
    try {
      // More calls than the whole pool holds, each waiting on the lock while it runs.
      const stuck = Array.from({ length: 12 }, (_, i) =>
        alice.videoAnalysis.update.mutate({ videoId: "busy", description: `Rewritten ${i}.` }).then(
          () => "OK",
          (error: unknown) => error,
        ),
      );
      await locker.untilWaiting(2);

      // Bob finds connections free, while Alice's share is all stuck.
      const mine = await bob.videoAnalysis.byVideoId.query({ videoId: "mine" });
      expect(mine.description).toBe("Bob's own memory.");

      // Alice's calls beyond her share waited 500 ms in line, then were refused.
      await new Promise((r) => setTimeout(r, 800));
      expect(await locker.waitingOnLocks()).toBe(2);
      await locker.query("ROLLBACK");
      const outcomes = await Promise.all(stuck);
      expect(outcomes.filter((o) => o === "OK")).toHaveLength(2);
      const refused = outcomes.filter((o) => o !== "OK");
      expect(refused).toHaveLength(10);
      for (const error of refused) {
        expect(errorCode(error)).toBe("TOO_MANY_REQUESTS");
        expect((error as TRPCClientError<never>).message).toContain("KEY_CONCURRENCY");
      }
    } finally {
      await locker.query("ROLLBACK");
    }
  });

  it("says 429 with Retry-After over REST too", async () => {
    const key = await server.createKey({ name: "rest", space: "carol", scopes: ["read", "write"] });
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const put = (description: string) =>
      fetch(`${server.url}/api/video-analysis/held`, {
        method: "PUT",
        headers,
        body: JSON.stringify({ description }),
      });
    await fetch(`${server.url}/api/video-analysis/`, {
      method: "POST",
      headers,
      body: JSON.stringify({ video_id: "held", description: "Held." }),
    });
    await locker.query("BEGIN");
    await locker.query(`SELECT 1 FROM "VideoAnalysis" WHERE "space" = 'carol' FOR UPDATE`);
    try {
      const stuck = [put("one"), put("two")];
      await locker.untilWaiting(2);
      const refused = await put("three");
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(((await refused.json()) as { detail: string }).detail).toContain("This key (rest) already runs 2 calls");
      await locker.query("ROLLBACK");
      expect((await Promise.all(stuck)).map((r) => r.status)).toEqual([200, 200]);
    } finally {
      await locker.query("ROLLBACK");
    }
  });

  it("stops a search at its time bound and says so (503)", async () => {
    // The bound is every connection's statement_timeout: DATABASE_TIMEOUT_MS less a margin (900 ms of 1,000), so the
    // server stops the statement, and says why, before the client stops waiting (which would read as unreachable).
    const bounded = await startTestServer("postgres", { auth: "required" }, { env: { DATABASE_TIMEOUT_MS: "1000" } });
    const holder = await Locker.open(bounded.databaseUrl);
    try {
      const key = await bounded.createKey({ name: "searcher", space: "dave", scopes: ["read", "write"] });
      const client = createMemoryMirrorClient({ url: bounded.url, apiKey: key, batch: false });
      await client.videoAnalysis.create.mutate({ videoId: "v", description: "A long walk by the sea at dawn." });
      // The search looks its words up in the vocabulary, which another session holds locked for longer than the bound.
      await holder.query("BEGIN");
      await holder.query(`LOCK TABLE "SearchTerm" IN ACCESS EXCLUSIVE MODE`);
      try {
        const error = await client.videoAnalysis.search.query({ query: "wlak sae dwan" }).catch((e: unknown) => e);
        expect(errorCode(error)).toBe("SERVICE_UNAVAILABLE");
        expect((error as TRPCClientError<never>).message).toMatch(
          /^The search was stopped after \d+\.\d s, past the time one search may take: try fewer words/,
        );
      } finally {
        await holder.query("ROLLBACK");
      }
      expect((await client.videoAnalysis.search.query({ query: "walk" })).items).toHaveLength(1);
    } finally {
      await holder.end();
      await bounded.close();
    }
  });
});

// The shares and the routing, not the database: every target, PostgreSQL or not.
for (const target of await testTargets())
  describe.skipIf(!!target.skip)(`a REST call at the prefix's own path (${target.name})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      // One slot per space: a call that took two (the guards run twice) would wait for itself, then answer 429.
      server = await startTestServer(target.name, { auth: "off", keyConcurrency: 1, keyQueueMs: 300 });
    });
    afterAll(async () => {
      await server?.close();
    });

    it("takes one slot of its share, not two: a list and a create are answered with KEY_CONCURRENCY=1", async () => {
      const created = await fetch(`${server.url}/api/video-analysis`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ video_id: "one-slot", description: "Created with a share of one." }),
      });
      expect(created.status).toBe(201);
      for (const path of ["/api/video-analysis", "/api/video-analysis/"]) {
        const listed = await fetch(`${server.url}${path}?limit=5`);
        expect(listed.status, path).toBe(200);
        expect(((await listed.json()) as { count: number }).count).toBe(1);
      }
    });
  });
