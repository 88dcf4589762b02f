/**
 * Rate limits as operators configure them: one budget shared by every server on a database
 * (RATE_LIMIT_STORE=database), separate budgets per key, and MCP's 429.
 */
import { createTestDatabase, openTestDb, testTargets } from "@memory-mirror/db/testing";
import { afterAll, describe, expect, it, vi } from "vitest";
import { AUTH_FAILURES_PER_MINUTE } from "../src/guards.ts";
import { createServer, loadConfig, type MemoryMirrorServer, type ServerConfig } from "../src/index.ts";
import { startTestServer, type TestServer } from "../src/testing.ts";

const postgres = (await testTargets()).find((t) => t.name === "postgres");

const list = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/api/video-analysis/?limit=1`, { headers });

/** Calls until the budget is spent (how many points one call costs is the counting tests' business). */
async function exhaust(url: string, headers: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < 20; i++) if ((await list(url, headers)).status === 429) return;
  expect.fail("never limited");
}

/** Two servers on one fresh PostgreSQL database with RATE_LIMIT_STORE=database; the suite's afterAll ends them. */
function twoServersOnOneDatabase() {
  const servers: MemoryMirrorServer[] = [];
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    for (const server of servers) await server.stop();
    await drop?.();
  });
  return async (overrides: Partial<ServerConfig>): Promise<[string, string]> => {
    const database = await createTestDatabase("postgres");
    drop = () => database.drop();
    const config = {
      ...loadConfig({ DATABASE_URL: database.url, PORT: "0", LOG_LEVEL: "silent" }),
      rateLimitStore: "database" as const,
      ...overrides,
    };
    const [a, b] = [createServer(config), createServer(config)];
    servers.push(a, b);
    return [await a.start(), await b.start()];
  };
}

describe.skipIf(!!postgres?.skip)("RATE_LIMIT_STORE=database", () => {
  const start = twoServersOnOneDatabase();

  it("shares one budget between the servers of one database", async () => {
    const [urlA, urlB] = await start({ rateLimitPerMinute: 4 });
    expect((await list(urlA)).status).toBe(200);
    await exhaust(urlA);
    // The budget of this address was spent on the other server.
    const refused = await list(urlB);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe.skipIf(!!postgres?.skip)("failed authentications with RATE_LIMIT_STORE=database", () => {
  const start = twoServersOnOneDatabase();

  it("counts an address's failures across the servers of one database (30 a minute in all, not 30 each)", async () => {
    const [urlA, urlB] = await start({ auth: "required" });
    const guess = (url: string, i: number) => list(url, { authorization: `Bearer mm_guess${i}` });
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE / 2; i++) expect((await guess(urlA, i)).status).toBe(401);
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE / 2; i++) expect((await guess(urlB, i)).status).toBe(401);
    // Either server has seen only half the limit itself; together they have seen all of it.
    const refused = await guess(urlA, -1);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe.skipIf(!!postgres?.skip)("expired rate-limit counts with RATE_LIMIT_STORE=database", () => {
  it("are deleted by the server's own upkeep an hour past their expiry, and live counts are kept", async () => {
    const db = await openTestDb("postgres");
    const hour = 60 * 60_000;
    await db.prisma.rateLimit.createMany({
      data: [
        { key: "stale", points: 3, expire: new Date(Date.now() - 2 * hour) },
        { key: "live", points: 1, expire: new Date(Date.now() + 60_000) },
      ],
    });
    const config = loadConfig({ DATABASE_URL: db.url, PORT: "0", LOG_LEVEL: "silent", RATE_LIMIT_STORE: "database" });
    const server = createServer(config);
    try {
      await server.start();
      await vi.waitFor(
        async () => expect((await db.prisma.rateLimit.findMany()).map((row) => row.key)).toEqual(["live"]),
        { timeout: 10_000, interval: 200 },
      );
    } finally {
      await server.stop();
      await db.dispose();
    }
  });
});

describe("rate limits per key", () => {
  let server: TestServer;
  afterAll(() => server?.close());

  it("gives every key its own budget, and MCP answers 429 beyond it", async () => {
    server = await startTestServer("embedded", { auth: "required", rateLimitPerMinute: 4 });
    const [first, second] = [
      await server.createKey({ name: "first", space: "a", scopes: ["read"] }),
      await server.createKey({ name: "second", space: "a", scopes: ["read"] }),
    ];
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    expect((await list(server.url, as(first))).status).toBe(200);
    await exhaust(server.url, as(first));
    // The other key's budget is untouched.
    expect((await list(server.url, as(second))).status).toBe(200);

    const mcp = await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: { ...as(first), "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(mcp.status).toBe(429);
    expect(Number(mcp.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await mcp.json()) as { error: { message: string } }).error.message).toMatch(/rate|many/i);
  });
});

describe("the window", () => {
  let server: TestServer | undefined;
  afterAll(async () => {
    vi.useRealTimers();
    await server?.close();
  });

  it("refills a spent budget once its minute has passed", async () => {
    server = await startTestServer("embedded", { rateLimitPerMinute: 4 });
    // Only Date is faked (the limiter's clock): timers, sockets and the database run as usual.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    await exhaust(server.url);
    const refused = await list(server.url);
    expect(refused.status).toBe(429);
    const wait = Number(refused.headers.get("retry-after"));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    vi.setSystemTime(Date.now() + (wait - 1) * 1000);
    expect((await list(server.url)).status).toBe(429);
    vi.setSystemTime(Date.now() + 1001);
    expect((await list(server.url)).status).toBe(200);
  });
});

for (const target of await testTargets())
  describe.skipIf(!!target.skip)(`RATE_LIMIT_STORE=database without its table, on the ${target.name} database`, () => {
    let server: TestServer | undefined;
    afterAll(() => server?.close());

    it("counts in this process's memory instead: calls still answer, and the budget still holds", async () => {
      server = await startTestServer(target.name, { rateLimitPerMinute: 4, rateLimitStore: "database" });
      // The store fails on every call from now on (as when its database does not answer); the data does not.
      await server.server.database.prisma.$executeRawUnsafe(`DROP TABLE "RateLimit"`);
      expect((await list(server.url)).status).toBe(200);
      await exhaust(server.url);
      const refused = await list(server.url);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    });
  });
