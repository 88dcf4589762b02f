/**
 * With the network to PostgreSQL refusing, dropping or stalling (a TCP proxy between server and
 * database), every procedure and REST route answers 503 within DATABASE_TIMEOUT_MS, /readyz too, and the server
 * recovers by itself when the database is back; SIGTERM during a stall still exits 0 within SHUTDOWN_TIMEOUT_MS.
 */
import { createDb } from "@memory-mirror/db";
import {
  createTestDatabase,
  type FaultMode,
  type FaultProxy,
  startFaultProxy,
  type TestDatabase,
  testTargets,
} from "@memory-mirror/db/testing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createServer, loadConfig, type MemoryMirrorServer } from "../src/index.ts";
import { startServerProcess } from "./server-process.ts";

const targets = await testTargets();
const postgres = targets.find((t) => t.name === "postgres")!;

const TIMEOUT_MS = 1000;
/**
 * Scheduling slack on a loaded 2-core machine (500 ms was exceeded by 27 ms in CI); the bound itself is enforced by the
 * server. TIMEOUT_MS + SLACK_MS stays below the 5 s default DATABASE_TIMEOUT_MS, so a server that ignored the
 * configured timeout (or waited for the stalled database) still fails.
 */
const SLACK_MS = 2500;

interface Call {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  /** "trpc": tRPC's error shape; "rest": FastAPI's {"detail"}; "ready": /readyz. */
  shape: "trpc" | "rest" | "ready";
}

const input = (value: unknown) => `input=${encodeURIComponent(JSON.stringify(value))}`;
const CALLS: Call[] = [
  {
    name: "videoAnalysis.create",
    method: "POST",
    path: "/trpc/videoAnalysis.create",
    body: { videoId: "new", description: "d" },
    shape: "trpc",
  },
  {
    name: "videoAnalysis.byVideoId",
    method: "GET",
    path: `/trpc/videoAnalysis.byVideoId?${input({ videoId: "seed" })}`,
    shape: "trpc",
  },
  {
    name: "videoAnalysis.update",
    method: "POST",
    path: "/trpc/videoAnalysis.update",
    body: { videoId: "seed", description: "e" },
    shape: "trpc",
  },
  {
    name: "videoAnalysis.delete",
    method: "POST",
    path: "/trpc/videoAnalysis.delete",
    body: { videoId: "seed" },
    shape: "trpc",
  },
  { name: "videoAnalysis.list", method: "GET", path: `/trpc/videoAnalysis.list?${input({ limit: 5 })}`, shape: "trpc" },
  {
    name: "POST /api/video-analysis/",
    method: "POST",
    path: "/api/video-analysis/",
    body: { video_id: "new", description: "d" },
    shape: "rest",
  },
  { name: "GET /api/video-analysis/{id}", method: "GET", path: "/api/video-analysis/seed", shape: "rest" },
  {
    name: "PUT /api/video-analysis/{id}",
    method: "PUT",
    path: "/api/video-analysis/seed",
    body: { description: "e" },
    shape: "rest",
  },
  { name: "DELETE /api/video-analysis/{id}", method: "DELETE", path: "/api/video-analysis/seed", shape: "rest" },
  { name: "GET /api/video-analysis/", method: "GET", path: "/api/video-analysis/?limit=5", shape: "rest" },
  { name: "GET /readyz", method: "GET", path: "/readyz", shape: "ready" },
];

async function call(base: string, c: Call): Promise<{ status: number; body: unknown; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${base}${c.path}`, {
    method: c.method,
    ...(c.body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(c.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as unknown) : undefined,
    ms: performance.now() - started,
  };
}

function expectUnavailable(c: Call, answer: { status: number; body: unknown; ms: number }) {
  expect(answer.status, `${c.name}: ${JSON.stringify(answer.body)}`).toBe(503);
  expect(answer.ms, `${c.name} answered after ${answer.ms.toFixed(0)} ms`).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  if (c.shape === "trpc") {
    expect(answer.body).toMatchObject({
      error: {
        message: "The database is not reachable; try again",
        data: { code: "SERVICE_UNAVAILABLE", httpStatus: 503 },
      },
    });
  } else if (c.shape === "rest") {
    expect(answer.body).toEqual({ detail: "The database is not reachable; try again" });
  } else {
    expect(answer.body).toEqual({ status: "database unreachable" });
  }
}

describe.skipIf(!!postgres.skip)("PostgreSQL refusing, dropping or stalling under a running server", () => {
  let database: TestDatabase;
  let proxy: FaultProxy;
  let server: MemoryMirrorServer;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    proxy = await startFaultProxy(database.url);
    const config = loadConfig({
      DATABASE_URL: proxy.url(database.url),
      DATABASE_TIMEOUT_MS: String(TIMEOUT_MS),
      // The whole pool for one caller: these tests are about waiting for the pool, not for a key's share of it.
      KEY_CONCURRENCY: "100",
      PORT: "0",
      LOG_LEVEL: "silent",
    });
    server = createServer(config);
    url = await server.start();
  });
  afterAll(async () => {
    await server?.stop();
    await proxy?.close();
    await database?.drop();
  });

  /** Puts the row every call targets back, so a 503 can never be a 404 in disguise. */
  async function seed() {
    const direct = await createDb(database.url);
    try {
      await direct.prisma.videoAnalysis.deleteMany({ where: { videoId: { in: ["seed", "new"] } } });
      await direct.prisma.videoAnalysis.create({ data: { space: "default", videoId: "seed", description: "seeded" } });
    } finally {
      await direct.close();
    }
  }

  it.each(["refuse", "drop", "stall"] as FaultMode[])(
    "%s: every procedure, REST route and /readyz answers 503 within DATABASE_TIMEOUT_MS; then it recovers",
    async (mode) => {
      await seed();
      expect((await call(url, CALLS.at(-1)!)).status).toBe(200); // connections are pooled before the fault
      await proxy.set(mode);
      try {
        const answers = await Promise.all(CALLS.map((c) => call(url, c)));
        CALLS.forEach((c, i) => expectUnavailable(c, answers[i]!));
      } finally {
        await proxy.set("pass");
      }
      // Back without a restart: the first calls after the database returns succeed.
      const recovered = performance.now();
      expect((await call(url, CALLS.at(-1)!)).status).toBe(200);
      const byId = await call(url, CALLS[1]!);
      expect(byId.status).toBe(200);
      expect(byId.body).toMatchObject({ result: { data: { videoId: "seed" } } });
      expect((await call(url, CALLS[6]!)).status).toBe(200);
      expect(performance.now() - recovered).toBeLessThan(TIMEOUT_MS);
    },
  );

  it("answers in time even when more calls wait than the pool has connections", async () => {
    await seed();
    await proxy.set("stall");
    try {
      const lookups = Array.from({ length: 25 }, () => call(url, CALLS[1]!)); // pool size 10
      for (const answer of await Promise.all(lookups)) expectUnavailable(CALLS[1]!, answer);
    } finally {
      await proxy.set("pass");
    }
    await vi.waitFor(async () => expect((await call(url, CALLS[1]!)).status).toBe(200), { timeout: TIMEOUT_MS });
  });
});

describe.skipIf(!!postgres.skip)("SIGTERM while PostgreSQL stalls", () => {
  it("answers the in-flight call 503 and exits 0 within SHUTDOWN_TIMEOUT_MS", async () => {
    const database = await createTestDatabase("postgres");
    const proxy = await startFaultProxy(database.url);
    const shutdownTimeoutMs = 3000;
    try {
      const server = await startServerProcess({
        DATABASE_URL: proxy.url(database.url),
        DATABASE_TIMEOUT_MS: String(TIMEOUT_MS),
        SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
      });
      expect((await call(server.url, CALLS.at(-1)!)).status).toBe(200);
      await proxy.set("stall");
      const held = proxy.held;
      const inFlight = call(server.url, CALLS[1]!);
      // In flight once its query (or a new connection's startup) reached the stalled "database".
      await vi.waitFor(() => expect(proxy.held).toBeGreaterThan(held));
      const signalled = performance.now();
      server.child.kill("SIGTERM");
      expectUnavailable(CALLS[1]!, await inFlight);
      expect(await server.exited).toBe(0);
      expect(performance.now() - signalled).toBeLessThan(shutdownTimeoutMs);
      expect(server.logs.map((l) => l.msg)).toContain("Memory Mirror stopped");
    } finally {
      await proxy.close();
      await database.drop();
    }
  });
});
