/**
 * Fan-out of changes across server processes on one PostgreSQL database (LISTEN/NOTIFY, one listening connection
 * per process, subscribers reading the log), and within one process on the embedded database: order, exact resume,
 * spaces, a dropped listener connection, 1,000 subscribers of one process, and a process stopped by SIGTERM.
 */
import { createMemoryMirrorClient } from "@memory-mirror/client";
import { createTestDatabase, type FaultProxy, startFaultProxy, testTargets } from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { collectChanges } from "./support/changes.ts";
import { startServerProcess, type ServerProcess } from "./server-process.ts";
import { readSse, type SseReader } from "./support/sse.ts";

const targets = await testTargets();
const postgres = targets.find((t) => t.name === "postgres")!;

const videoIds = (events: { data: { type: string } & Partial<{ videoId: string }> }[]) =>
  events.map((e) => `${e.data.type} ${e.data.videoId ?? ""}`);

/** `n` SSE readers of /api/changes, each past its "ready" event. */
async function subscribers(url: string, n: number): Promise<SseReader[]> {
  const readers: SseReader[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, () => readSse(`${url}/api/changes?video_id=fan-1`)),
    );
    readers.push(...batch);
  }
  await Promise.all(readers.map((r) => r.until(1)));
  return readers;
}

describe.skipIf(!!postgres.skip)("change fan-out across two server processes on PostgreSQL", () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let proxy: FaultProxy;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    // A reaches the database through a proxy that can cut its connections, its listener's included.
    proxy = await startFaultProxy(database.url);
    const env = { MAX_STREAMS_PER_KEY: "2000", DATABASE_TIMEOUT_MS: "2000" };
    // Together: each compiles the sources and opens the database (several seconds on a loaded machine).
    [b, a] = await Promise.all([
      startServerProcess({ ...env, DATABASE_URL: database.url }),
      startServerProcess({ ...env, DATABASE_URL: proxy.url(database.url) }),
    ]);
  }, 120_000);
  afterAll(async () => {
    for (const server of [a, b]) {
      server?.child.kill("SIGTERM");
      await server?.exited;
    }
    await proxy?.close();
    await database?.drop();
  });

  const client = (server: ServerProcess, space: string) => createMemoryMirrorClient({ url: server.url, space });

  it("a subscriber on A sees the writes made through B, in order", async () => {
    const watch = await collectChanges(client(a, "fan"), {});
    const writer = client(b, "fan").videoAnalysis;
    await writer.create.mutate({ videoId: "x1", description: "one" });
    await writer.update.mutate({ videoId: "x1", description: "two" });
    await writer.upsertMany.mutate({ items: [{ videoId: "x2", description: "three" }] });
    await writer.delete.mutate({ videoId: "x1" });
    expect(videoIds(await watch.until(4))).toEqual(["created x1", "updated x1", "created x2", "deleted x1"]);
    watch.stop();
  });

  it("reconnecting to A with the last id gets exactly the events written through B meanwhile", async () => {
    const writer = client(b, "fan").videoAnalysis;
    const first = await collectChanges(client(a, "fan"), {});
    await writer.create.mutate({ videoId: "y1", description: "seen" });
    const [seen] = await first.until(1);
    first.stop();
    await writer.create.mutate({ videoId: "y2", description: "missed" });
    await writer.update.mutate({ videoId: "y1", description: "missed too" });
    const resumed = await collectChanges(client(a, "fan"), { lastEventId: seen!.id });
    await writer.create.mutate({ videoId: "y3", description: "live" });
    expect(videoIds(await resumed.until(3))).toEqual(["created y2", "updated y1", "created y3"]);
    resumed.stop();
  });

  it("a subscriber of another space on A sees nothing of B's writes, also resuming from their ids", async () => {
    const mine = await collectChanges(client(a, "fan"), {});
    await client(b, "fan").videoAnalysis.create.mutate({ videoId: "z1", description: "not theirs" });
    const [event] = await mine.until(1);
    mine.stop();
    const other = await collectChanges(client(a, "other"), { lastEventId: event!.id });
    await client(b, "fan").videoAnalysis.update.mutate({ videoId: "z1", description: "still not theirs" });
    await client(b, "other").videoAnalysis.create.mutate({ videoId: "own", description: "theirs" });
    expect(videoIds(await other.until(1))).toEqual(["created own"]);
    other.stop();
  });

  it("loses nothing while A's listening connection is cut: it reconnects and catches up from the log", async () => {
    const watch = await collectChanges(client(a, "drop"), {});
    await proxy.set("drop");
    const writer = client(b, "drop").videoAnalysis;
    for (const videoId of ["d1", "d2", "d3"]) await writer.create.mutate({ videoId, description: videoId });
    await proxy.set("pass");
    await writer.create.mutate({ videoId: "d4", description: "after" });
    expect(videoIds(await watch.until(4))).toEqual(["created d1", "created d2", "created d3", "created d4"]);
    // The listener really was cut (and came back: d4 arrived).
    expect(a.logs.some((line) => line.msg === "change feed: listening failed; reconnecting")).toBe(true);
    watch.stop();
  });

  it("1,000 subscribers on A all get one write made through B", async () => {
    const readers = await subscribers(a.url, 1000);
    await client(b, "default").videoAnalysis.create.mutate({ videoId: "fan-1", description: "to everyone" });
    const got = await Promise.all(readers.map((r) => r.until(2)));
    expect(got.every(([, e]) => (JSON.parse(e!.data) as { video_id: string }).video_id === "fan-1")).toBe(true);
    for (const r of readers) r.close();
  });

  // Last: it stops A.
  it("SIGTERM ends A's streams cleanly, and the client resumes on B from its last id with nothing lost", async () => {
    const space = { "x-mm-space": "term" };
    const writer = client(b, "term").videoAnalysis;
    const stream = await readSse(`${a.url}/api/changes`, space);
    await stream.until(1);
    await writer.create.mutate({ videoId: "t1", description: "before" });
    await stream.until(2);
    a.child.kill("SIGTERM");
    // Written while A stops: A may deliver it before its streams end, or B after the client resumes there.
    await writer.create.mutate({ videoId: "t2", description: "during" });
    expect(await stream.ended).toBe("end");
    expect(await a.exited).toBe(0);
    expect(a.logs.filter((line) => String(line.msg).startsWith("shutdown timeout"))).toEqual([]);
    await writer.create.mutate({ videoId: "t3", description: "after" });
    const fromA = stream.events.slice(1);
    const resumed = await readSse(`${b.url}/api/changes`, { ...space, "last-event-id": fromA.at(-1)!.id! });
    const fromB = await resumed.until(3 - fromA.length);
    resumed.close();
    const all = [...fromA, ...fromB].map((e) => (JSON.parse(e.data) as { video_id: string }).video_id);
    expect(all).toEqual(["t1", "t2", "t3"]);
  });
});

describe("change fan-out within one process on the embedded database", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer("embedded", { maxStreamsPerKey: 2000 });
  });
  afterAll(() => server?.close());

  it("1,000 subscribers all get one write", async () => {
    const readers = await subscribers(server.url, 1000);
    await createMemoryMirrorClient({ url: server.url }).videoAnalysis.create.mutate({
      videoId: "fan-1",
      description: "to everyone",
    });
    const got = await Promise.all(readers.map((r) => r.until(2)));
    expect(got.every(([, e]) => (JSON.parse(e!.data) as { video_id: string }).video_id === "fan-1")).toBe(true);
    for (const r of readers) r.close();
  });
});
