/**
 * Regression tests for /readyz: it answers within its own short timeout (orchestrators probe with 1–2 s timeouts)
 * whatever the database does, long before DATABASE_TIMEOUT_MS, and logs readiness changes rather than every probe.
 */
import {
  createTestDatabase,
  type FaultProxy,
  startFaultProxy,
  type TestDatabase,
  testTargets,
} from "@memory-mirror/db/testing";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, loadConfig, type MemoryMirrorServer } from "../src/index.ts";

const postgres = (await testTargets()).find((t) => t.name === "postgres");

describe.skipIf(!!postgres?.skip)("/readyz with a stalled PostgreSQL (DATABASE_TIMEOUT_MS=20000)", () => {
  let database: TestDatabase;
  let proxy: FaultProxy;
  let server: MemoryMirrorServer;
  let url: string;
  const logged: { msg: string; status?: string }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    proxy = await startFaultProxy(database.url);
    const config = loadConfig({ DATABASE_URL: proxy.url(database.url), DATABASE_TIMEOUT_MS: "20000", PORT: "0" });
    const logger = pino(
      { level: "info" },
      { write: (line: string) => void logged.push(JSON.parse(line) as (typeof logged)[number]) },
    );
    server = createServer(config, { logger });
    url = await server.start();
  });
  afterAll(async () => {
    await proxy?.set("pass");
    await server?.stop();
    await proxy?.close();
    await database?.drop();
  });

  /** A probe as an orchestrator makes it: it gives up long before the database timeout. */
  const probe = () =>
    fetch(`${url}/readyz`, { signal: AbortSignal.timeout(8000) }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as unknown,
    }));

  it("answers 503 well before the database timeout while the database stalls, and logs the change once", async () => {
    expect(await probe()).toEqual({ status: 200, body: { status: "ready" } });
    await proxy.set("stall");
    for (let i = 0; i < 3; i++)
      expect(await probe()).toEqual({ status: 503, body: { status: "database unreachable" } });
    await proxy.set("pass");
    await expect.poll(async () => (await probe()).status, { timeout: 30_000, interval: 200 }).toBe(200);
    const changes = logged.filter((l) => l.msg === "ready" || l.msg === "not ready").map((l) => l.msg);
    expect(changes).toEqual(["not ready", "ready"]);
  });
});
