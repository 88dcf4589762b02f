/**
 * Regression tests for collect-at-rest.ts: a server collects its garbage once each time it rests after activity,
 * never while requests keep coming, and `node --no-expose-gc` turns it off.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createTestDatabase, prepareClusterTemplate } from "@memory-mirror/db/testing";
import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { collectingAtRest } from "../src/collect-at-rest.ts";
import { COLLECTED_AT_REST } from "../src/server.ts";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { startServerProcess } from "./server-process.ts";

/** Short rests, so a test sees several; `restMs` is still far above a request's gap in the busy loop below. */
const TIMES = { restMs: 400, settleMs: 400 };
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("collecting garbage at rest", () => {
  let server: TestServer | undefined;
  const logged: { msg: string }[] = [];
  const collections = () => logged.filter((line) => line.msg === COLLECTED_AT_REST).length;
  const start = async () => {
    logged.length = 0;
    const logger = pino(
      { level: "debug" },
      { write: (line: string) => void logged.push(JSON.parse(line) as (typeof logged)[number]) },
    );
    server = await startTestServer("embedded", {}, { logger, collectAtRest: TIMES });
    return server;
  };
  const metric = async (url: string, kind: "young" | "full") => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`mm_rest_collections_total{kind="${kind}"} `));
    return line === undefined ? 0 : Number(line.split(" ")[1]);
  };
  beforeAll(prepareClusterTemplate);
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("collects once when the server rests after start-up, then not again until a request comes", async () => {
    const { url } = await start();
    await expect.poll(collections, { timeout: 20_000, interval: 50 }).toBe(1);
    // Resting on: several more rests' time, and still the one collection.
    await pause(4 * (TIMES.restMs + TIMES.settleMs));
    expect(collections()).toBe(1);
    expect((await fetch(`${url}/api/video-analysis/none`)).status).toBe(404);
    await expect.poll(collections, { timeout: 20_000, interval: 50 }).toBe(2);
    // The /metrics request is itself activity: it counts the two rests, the third comes after it.
    expect(await metric(url, "full")).toBe(2);
    expect(await metric(url, "young")).toBeGreaterThanOrEqual(2);
  });

  it("collects nothing while requests keep coming, and once when they stop", async () => {
    const { url } = await start();
    const until = performance.now() + 8 * (TIMES.restMs + TIMES.settleMs);
    const loop = async () => {
      while (performance.now() < until) expect((await fetch(`${url}/healthz`)).status).toBe(200);
    };
    // Four callers, each sending its next request as soon as the last is answered.
    await Promise.all([loop(), loop(), loop(), loop()]);
    expect(await metric(url, "young")).toBe(0);
    expect(collections()).toBe(0);
    await expect.poll(collections, { timeout: 20_000, interval: 50 }).toBe(1);
  });

  it("is on in the server process unless the operator says --no-expose-gc", async () => {
    expect(collectingAtRest([])).toBe(true);
    expect(collectingAtRest(["--expose-gc"])).toBe(true);
    expect(collectingAtRest(["--max-old-space-size=512"])).toBe(true);
    expect(collectingAtRest(["--no-expose-gc"])).toBe(false);
    expect(collectingAtRest(["--no_expose_gc"])).toBe(false);
    // node main.ts with no flag: gc reached in process, a full collection logged 36 s into the rest (AT_REST).
    const dir = await mkdtemp(path.join(os.tmpdir(), "mm-rest-"));
    try {
      const child = await startServerProcess({
        DATABASE_URL: (await createTestDatabase("embedded", dir)).url,
        LOG_LEVEL: "debug",
      });
      try {
        const line = await child.logged(COLLECTED_AT_REST);
        expect(line.ms).toBeGreaterThan(0);
      } finally {
        child.child.kill("SIGTERM");
        await child.exited;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
