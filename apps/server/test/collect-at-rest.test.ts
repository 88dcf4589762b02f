/**
 * Regression tests for collect-at-rest.ts: a server collects its garbage once each time it rests after activity,
 * never while requests keep coming or a stream is open, and COLLECT_AT_REST_MS sets it (0 turns it off).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createTestDatabase, prepareClusterTemplate } from "@memory-mirror/db/testing";
import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";
import { COLLECTED_AT_REST } from "../src/server.ts";
import { startTestServer, type TestServer } from "../src/testing.ts";
import { startServerProcess } from "./server-process.ts";
import { readSse } from "./support/sse.ts";

/** Short rests, so a test sees several. */
const TIMES = { restMs: 400, settleMs: 400 };
/** For the busy loop: far above any gap between its requests, even on a loaded machine. */
const BUSY_TIMES = { restMs: 1500, settleMs: 400 };
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("collecting garbage at rest", () => {
  let server: TestServer | undefined;
  const logged: { msg: string }[] = [];
  const collections = () => logged.filter((line) => line.msg === COLLECTED_AT_REST).length;
  const start = async (times = TIMES) => {
    logged.length = 0;
    const logger = pino(
      { level: "debug" },
      { write: (line: string) => void logged.push(JSON.parse(line) as (typeof logged)[number]) },
    );
    server = await startTestServer("embedded", {}, { logger, collectAtRest: times });
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
    const { url } = await start(BUSY_TIMES);
    const until = performance.now() + 3 * (BUSY_TIMES.restMs + BUSY_TIMES.settleMs);
    const loop = async () => {
      while (performance.now() < until) expect((await fetch(`${url}/healthz`)).status).toBe(200);
    };
    // Four callers, each sending its next request as soon as the last is answered.
    await Promise.all([loop(), loop(), loop(), loop()]);
    expect(await metric(url, "young")).toBe(0);
    expect(collections()).toBe(0);
    await expect.poll(collections, { timeout: 20_000, interval: 50 }).toBe(1);
  });

  it("counts an open change stream as activity: no collection while it stays open, one after it closes", async () => {
    const { url } = await start();
    await expect.poll(collections, { timeout: 20_000, interval: 50 }).toBe(1);
    const young = await metric(url, "young");
    const stream = await readSse(`${url}/api/changes`, { "x-mm-space": "rest" });
    try {
      expect(stream.status).toBe(200);
      await stream.until(1);
      // Open through several rests' time: a server whose only client is a subscriber never pauses to collect.
      await pause(4 * (TIMES.restMs + TIMES.settleMs));
      expect(collections()).toBe(1);
    } finally {
      stream.close();
    }
    expect(await metric(url, "young")).toBe(young);
    await expect.poll(collections, { timeout: 20_000, interval: 50 }).toBe(2);
  });

  it("takes its timings from COLLECT_AT_REST_MS and COLLECT_AT_REST_SETTLE_MS; 0 turns it off", () => {
    expect(loadConfig({}).collectAtRest).toEqual({ restMs: 30_000, settleMs: 6000 });
    expect(loadConfig({ COLLECT_AT_REST_MS: "0" }).collectAtRest).toBeUndefined();
    expect(loadConfig({ COLLECT_AT_REST_MS: "500", COLLECT_AT_REST_SETTLE_MS: "0" }).collectAtRest).toEqual({
      restMs: 500,
      settleMs: 0,
    });
    expect(() => loadConfig({ COLLECT_AT_REST_MS: "soon" })).toThrow(ConfigError);
    expect(() => loadConfig({ COLLECT_AT_REST_MS: "soon" })).toThrow(/COLLECT_AT_REST_MS/);
  });

  it("collects in the server process (main.ts) with no node flag, at the configured rest", async () => {
    // gc reached in process: a full collection logged COLLECT_AT_REST_MS + COLLECT_AT_REST_SETTLE_MS after start-up.
    const dir = await mkdtemp(path.join(os.tmpdir(), "mm-rest-"));
    try {
      const child = await startServerProcess({
        DATABASE_URL: (await createTestDatabase("embedded", dir)).url,
        LOG_LEVEL: "debug",
        COLLECT_AT_REST_MS: "300",
        COLLECT_AT_REST_SETTLE_MS: "300",
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
  }, 60_000);
});
