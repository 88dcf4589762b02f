/**
 * `pnpm bench`: requests per second of Memory Mirror's read paths under load, as ratios to a hand-written
 * node:http + pg server measured in the same run (the machines are shared and noisy; absolute numbers drift).
 *
 * Servers run in their own processes (Memory Mirror from dist/, as `pnpm start` runs it: `pnpm bench` builds first);
 * autocannon drives them from this one. Knobs: BENCH_SECONDS (default 5),
 * BENCH_CONNECTIONS (64), MM_TEST_POSTGRES_URL. Without PostgreSQL only the embedded database is measured.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { fileURLToPath } from "node:url";
import { createMemoryMirrorClient } from "@memory-mirror/client";
import { createTestDatabase, testTargets } from "@memory-mirror/db/testing";
import autocannon from "autocannon";

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const ROWS = 1000;
const BATCH = 50;
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

async function freePort(): Promise<number> {
  const server = createNetServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Starts a server script on a free port and waits until it answers GET <probe> at all. Its logs go nowhere. */
async function startProcess(script: string, env: Record<string, string>, probe: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(script.endsWith(".ts") ? ["--import", "tsx"] : []), script], {
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    if (await fetch(url + probe).then(() => true, () => false)) return { url, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${script} did not answer ${probe} within 60 s`);
}

async function stop(child: ChildProcess) {
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
}

const ids = Array.from({ length: ROWS }, (_, i) => `bench-${i}`);
const pick = () => ids[Math.floor(Math.random() * ROWS)] as string;
const enc = (v: unknown) => encodeURIComponent(JSON.stringify(v));

interface Scenario {
  name: string;
  /** Concurrent connections, when not BENCH_CONNECTIONS: a few batches already keep the database busy. */
  connections?: number;
  /** Lookups answered per HTTP request. */
  callsPerRequest: number;
  request: () => { method: "GET" | "POST"; path: string; body?: string; headers?: Record<string, string> };
}

const scenarios: Scenario[] = [
  { name: "tRPC byVideoId, one call per request (GET)", callsPerRequest: 1, request: () => ({ method: "GET", path: `/trpc/videoAnalysis.byVideoId?input=${enc({ videoId: pick() })}` }) },
  {
    name: `tRPC byVideoId, batches of ${BATCH} (POST, 8 connections)`,
    callsPerRequest: BATCH,
    connections: 8,
    request: () => ({
      method: "POST",
      path: `/trpc/${Array(BATCH).fill("videoAnalysis.byVideoId").join(",")}?batch=1`,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(Object.fromEntries(Array.from({ length: BATCH }, (_, i) => [i, { videoId: pick() }]))),
    }),
  },
  { name: "REST GET /api/video-analysis/{id}", callsPerRequest: 1, request: () => ({ method: "GET", path: `/api/video-analysis/${encodeURIComponent(pick())}` }) },
];

async function load(url: string, makeRequest: Scenario["request"], conns = connections) {
  const result = await autocannon({
    url,
    connections: conns,
    duration: seconds,
    requests: [{ setupRequest: (req) => ({ ...req, ...makeRequest() }) }],
  });
  if (result.errors || result.non2xx) throw new Error(`${result.errors} errors, ${result.non2xx} non-2xx answers from ${url}`);
  return { rps: result.requests.average, p99: result.latency.p99 };
}

const rows: string[][] = [];
const postgres = (await testTargets()).find((t) => t.name === "postgres");
for (const kind of ["postgres", "embedded"] as const) {
  if (kind === "postgres" && postgres?.skip) continue;
  const database = await createTestDatabase(kind);
  try {
    const server = await startProcess(here("../dist/main.js"), { DATABASE_URL: database.url, DATABASE_POOL_SIZE: "16" }, "/readyz");
    try {
      const client = createMemoryMirrorClient({ url: server.url });
      await Promise.all(ids.map((videoId) => client.videoAnalysis.create.mutate({ videoId, description: `Scene ${videoId}: a person talks to the camera.` })));
      // The yardstick reads the same rows; the embedded database allows one process, so it has a PostgreSQL baseline only.
      let baselineRps: number | undefined;
      if (kind === "postgres") {
        const baseline = await startProcess(here("baseline-server.ts"), { DATABASE_URL: database.url, DATABASE_POOL_SIZE: "16" }, "/v/probe");
        await load(baseline.url, () => ({ method: "GET", path: `/v/${encodeURIComponent(pick())}` })); // warm-up
        const b = await load(baseline.url, () => ({ method: "GET", path: `/v/${encodeURIComponent(pick())}` }));
        await stop(baseline.child);
        baselineRps = b.rps;
        rows.push([kind, "baseline: node:http + pg, no framework", b.rps.toFixed(0), b.rps.toFixed(0), `${b.p99} ms`, "1.00×"]);
      }
      await load(server.url, scenarios[0]!.request); // warm-up: JIT, connection pool, Prisma's query cache
      for (const s of scenarios) {
        const r = await load(server.url, s.request, s.connections);
        const lookups = r.rps * s.callsPerRequest;
        const ratio = baselineRps ? `${(lookups / baselineRps).toFixed(2)}×` : "–";
        rows.push([kind, s.name, r.rps.toFixed(0), lookups.toFixed(0), `${r.p99} ms`, ratio]);
      }
    } finally {
      await stop(server.child);
    }
  } finally {
    await database.drop();
  }
}

const header = ["database", "scenario", "requests/s", "lookups/s", "p99", "lookups/s vs baseline"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(`\n${connections} connections, ${seconds} s per scenario, ${ROWS} rows, random videoIds\n`);
console.log([line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n"));
