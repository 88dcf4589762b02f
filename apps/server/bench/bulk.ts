/**
 * Bulk paths, measured (not asserted): ingest rows/s through upsertMany against a hand-written multi-row
 * INSERT … ON CONFLICT over pg in the same run, byVideoIds(100) lookups/s against one byVideoId per request, and
 * `mm export` rows/s with the exporting process's peak memory.
 *
 *   node --conditions=@memory-mirror/source --import tsx bench/bulk.ts
 *
 * The server runs in its own process, from the sources (tsx) unless BENCH_SERVER=dist (after `pnpm build`).
 * Knobs: BENCH_ROWS (50,000 per ingest round), BENCH_BATCH (500), BENCH_CONCURRENCY (calls in flight: "4,8"),
 * BENCH_DIMS (32), BENCH_SECONDS (5 per lookup scenario), MM_TEST_POSTGRES_URL. The embedded database allows
 * one process, so it has no pg baseline.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createMemoryMirrorClient } from "@memory-mirror/client";
import { createTestDatabase, testTargets } from "@memory-mirror/db/testing";
import autocannon from "autocannon";
import pg from "pg";
import { freePort } from "./processes.ts";

const ROWS = Number(process.env.BENCH_ROWS ?? 50_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 500);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? "4,8").split(",").map(Number);
const DIMS = Number(process.env.BENCH_DIMS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const fromDist = process.env.BENCH_SERVER === "dist";
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SOURCE = ["--conditions=@memory-mirror/source", "--import", "tsx"];
/** The space the lookups and the export read: the first round's ingest. */
const READ_SPACE = `bench-${CONCURRENCY[0]}-1`;

async function startServer(databaseUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const args = fromDist ? [here("../dist/main.js")] : [...SOURCE, here("../src/main.ts")];
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: "16",
      LOG_LEVEL: "warn",
      // 500 analyses with vectors exceed the 1 MiB default; the bench measures the write path, not the limit.
      MAX_BODY_BYTES: String(32 * 1024 * 1024),
      RATE_LIMIT_PER_MINUTE: "0",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 900; i++) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the server did not get ready within 90 s");
}

async function stop(child: ChildProcess) {
  child.kill("SIGTERM");
  if (child.exitCode === null) await once(child, "exit");
}

interface Row {
  videoId: string;
  description: string;
  tags: string[];
  embedding: { model: string; values: number[] };
}

/** Producer-like rows: a few hundred characters of description, three tags, a vector of DIMS values. */
function rows(prefix: string): Row[] {
  return Array.from({ length: ROWS }, (_, i) => ({
    videoId: `${prefix}-${i}`,
    description: `Scene ${i}: a person walks into the kitchen, opens the fridge and talks to the camera about dinner plans. ${"detail ".repeat(20)}`,
    tags: ["family", `week-${i % 52}`, i % 2 ? "indoor" : "outdoor"],
    embedding: { model: "marengo-2.7", values: Array.from({ length: DIMS }, (_, d) => Math.fround(Math.sin(i + d))) },
  }));
}

const batches = <T>(list: T[]): T[][] =>
  Array.from({ length: Math.ceil(list.length / BATCH) }, (_, k) => list.slice(k * BATCH, (k + 1) * BATCH));

/** Runs `send` over the batches with `inFlight` calls at a time; rows per second. */
async function ingest(all: Row[], send: (batch: Row[]) => Promise<unknown>, inFlight: number): Promise<number> {
  const queue = batches(all);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let batch = queue.shift(); batch; batch = queue.shift()) await send(batch);
    }),
  );
  return all.length / ((performance.now() - started) / 1000);
}

/** The yardstick: one multi-row INSERT … ON CONFLICT per batch, straight over pg (no HTTP, validation or ORM). */
function baselineSender(pool: pg.Pool, space: string) {
  return async (batch: Row[]) => {
    const values: unknown[] = [];
    const tuples = batch.map((row, k) => {
      const now = new Date();
      values.push(
        crypto.randomUUID(),
        space,
        row.videoId,
        row.description,
        row.tags,
        row.embedding.model,
        row.embedding.values.length,
        `[${row.embedding.values.join(",")}]`,
        now,
      );
      const p = (n: number) => `$${k * 9 + n}`;
      return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}::text[], ${p(6)}, ${p(7)}::int, ${p(8)}::vector, 1, ${p(9)}, ${p(9)})`;
    });
    await pool.query(
      `INSERT INTO "VideoAnalysis" ("id", "space", "videoId", "description", "tags", "embeddingModel", "embeddingDims", "embedding", "version", "createdAt", "updatedAt")
       VALUES ${tuples.join(", ")}
       ON CONFLICT ("space", "videoId") DO UPDATE SET "description" = EXCLUDED."description", "tags" = EXCLUDED."tags",
         "embeddingModel" = EXCLUDED."embeddingModel", "embeddingDims" = EXCLUDED."embeddingDims", "embedding" = EXCLUDED."embedding",
         "version" = "VideoAnalysis"."version" + 1, "updatedAt" = EXCLUDED."updatedAt"`,
      values,
    );
  };
}

/** Requests/s of GETs at `path()`, reading the space the ingest filled. */
async function lookups(url: string, path: () => string, connections: number): Promise<number> {
  const result = await autocannon({
    url,
    connections,
    duration: SECONDS,
    headers: { "x-mm-space": READ_SPACE },
    requests: [{ setupRequest: (req) => ({ ...req, path: path() }) }],
  });
  if (result.errors || result.non2xx) throw new Error(`${result.errors} errors, ${result.non2xx} non-2xx answers`);
  return result.requests.average;
}

/** `mm export` to a file, as a person runs it: its own rows/s, and its peak RSS (GNU time). */
async function exportWithCli(url: string, file: string): Promise<{ rate: number; maxRssMb: number }> {
  const cli = here("../../cli/src/main.ts");
  const child = spawn("/usr/bin/time", ["-f", "maxrss_kb=%M", process.execPath, ...SOURCE, cli, "export", "-o", file], {
    env: { ...process.env, MM_URL: url, MM_SPACE: READ_SPACE },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const [code] = (await once(child, "exit")) as [number];
  if (code !== 0) throw new Error(`mm export failed: ${stderr}`);
  const rate = Number(/\((\d+) rows\/s\)/.exec(stderr)?.[1]);
  const maxRssMb = Number(/maxrss_kb=(\d+)/.exec(stderr)?.[1]) / 1024;
  return { rate, maxRssMb };
}

const report: string[][] = [];
const add = (...cells: string[]) => report.push(cells);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const pick = (prefix: string) => `${prefix}-${Math.floor(Math.random() * ROWS)}`;
const enc = (v: unknown) => encodeURIComponent(JSON.stringify(v));

const postgres = (await testTargets()).find((t) => t.name === "postgres");
const dir = await mkdtemp(path.join(tmpdir(), "mm-bench-bulk-"));
try {
  for (const kind of ["postgres", "embedded"] as const) {
    if (kind === "postgres" && postgres?.skip) continue;
    const database = await createTestDatabase(kind);
    const server = await startServer(database.url);
    try {
      // One space per round: every round ingests new rows (created), as a backfill does.
      const spaceClient = (space: string) => createMemoryMirrorClient({ url: server.url, batch: false, space });
      const viaApi = (space: string) => (batch: Row[]) =>
        spaceClient(space).videoAnalysis.upsertMany.mutate({ items: batch });
      await ingest(rows("warm").slice(0, BATCH * 8), viaApi("warm"), 4); // JIT, pools, Prisma's query cache
      const pool = kind === "postgres" ? new pg.Pool({ connectionString: database.url, max: 16 }) : undefined;
      const all = rows("row");
      let firstBaseline = 0;
      for (const inFlight of CONCURRENCY) {
        let baseline = 0;
        let ours = 0;
        for (const round of [1, 2]) {
          if (pool)
            baseline = Math.max(
              baseline,
              await ingest(all, baselineSender(pool, `baseline-${inFlight}-${round}`), inFlight),
            );
          ours = Math.max(ours, await ingest(all, viaApi(`bench-${inFlight}-${round}`), inFlight));
        }
        firstBaseline ||= baseline;
        if (baseline)
          add(
            kind,
            `ingest: INSERT … ON CONFLICT over pg (baseline), ${inFlight} in flight`,
            `${fmt(baseline)} rows/s`,
            "1.00×",
          );
        add(
          kind,
          `ingest: upsertMany over HTTP, ${inFlight} in flight`,
          `${fmt(ours)} rows/s`,
          baseline ? `${(ours / baseline).toFixed(2)}×` : "–",
        );
      }
      await pool?.end();
      const again = await ingest(all, viaApi(READ_SPACE), CONCURRENCY[0] ?? 4);
      add(
        kind,
        `re-ingest of the same rows (all unchanged), ${CONCURRENCY[0]} in flight`,
        `${fmt(again)} rows/s`,
        firstBaseline ? `${(again / firstBaseline).toFixed(2)}×` : "–",
      );

      // Lookups from the space holding ROWS analyses.
      const single = await lookups(
        server.url,
        () => `/trpc/videoAnalysis.byVideoId?input=${enc({ videoId: pick("row") })}`,
        64,
      );
      const hundred = await lookups(
        server.url,
        () =>
          `/trpc/videoAnalysis.byVideoIds?input=${enc({ videoIds: Array.from({ length: 100 }, () => pick("row")) })}`,
        8,
      );
      add(kind, "byVideoId, one lookup per request (64 connections)", `${fmt(single)} lookups/s`, "1.00×");
      add(
        kind,
        "byVideoIds of 100 per request (8 connections)",
        `${fmt(hundred * 100)} lookups/s`,
        `${((hundred * 100) / single).toFixed(2)}×`,
      );

      const exported = await exportWithCli(server.url, path.join(dir, `${kind}.ndjson`));
      add(
        kind,
        `mm export of ${fmt(ROWS)} analyses to a file`,
        `${fmt(exported.rate)} rows/s`,
        `peak RSS ${exported.maxRssMb.toFixed(0)} MB`,
      );
    } finally {
      await stop(server.child);
      await database.drop();
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

const header = ["database", "scenario", "rate", "vs baseline"];
const widths = header.map((h, i) => Math.max(h.length, ...report.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(
  `\n${fmt(ROWS)} rows per ingest round (best of 2), batches of ${BATCH}, ${DIMS}-dimension vectors, 3 tags; ` +
    `server from ${fromDist ? "dist/" : "sources (tsx)"}; ${SECONDS} s per lookup scenario\n`,
);
console.log([line(header), line(widths.map((w) => "-".repeat(w))), ...report.map(line)].join("\n"));
