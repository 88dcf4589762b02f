/**
 * `pnpm bench`: Memory Mirror's hot paths under load, as ratios to hand-written node:http + pg servers measured in
 * the same run (the machines are shared and noisy; absolute numbers drift, ratios much less).
 *
 *   pnpm bench [--rows 10000] [--seconds 5] [--connections 64] [--subscribers 1000] [--only <text>] [--quick]
 *
 * --quick: 1,000 rows, 1 s per scenario, 50 fan-out subscribers — checks the harness (CI runs it), says nothing
 * about speed. `--only fan-out` runs the change fan-out alone (fanout.ts).
 * BENCH_NODE_FLAGS="…" adds node flags to the server (none by default, as `pnpm start`).
 * Servers run in their own processes from the built dist/ with AUTH=required (every request carries a key);
 * autocannon drives them from this one; probe.mjs in each server reports CPU, event-loop delay and GC per scenario.
 * Results: a table on stdout and bench/results/latest.json at the repo root (ignored by git: keep a run worth
 * keeping under its own name, as bench/results/2026-11-26-rows-1000000.json).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createTestDatabase, replicaOf, replicaSkip, testTargets } from "@memory-mirror/db/testing";
import autocannon from "autocannon";
import { type FanoutResult, measureFanout } from "./fanout.ts";
import { readProbe, type Running, rssMb, sample, startProcess, stop, treeCpuMs } from "./processes.ts";
import { type ReadShares, replicaScenarios, untilReplicaUp, withReadShares } from "./replicas.ts";
import {
  authOffScenario,
  type BaselineName,
  baselineScenarios,
  isolationScenarios,
  type Scenario,
  serviceScenarios,
} from "./scenarios.ts";
import { seed, seedNoisy } from "./seed.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string" },
    seconds: { type: "string" },
    connections: { type: "string" },
    only: { type: "string" },
    quick: { type: "boolean", default: false },
    workers: { type: "string" },
    subscribers: { type: "string" },
    /** One kind of database only: postgres or embedded (default: both). */
    database: { type: "string" },
  },
});
const quick = values.quick ?? false;
const rows = Number(values.rows ?? (quick ? 1000 : 10_000));
const seconds = Number(values.seconds ?? (quick ? 1 : 5));
const connections = Number(values.connections ?? (quick ? 16 : 64));
/** The service's WORKERS on PostgreSQL (the embedded database takes one process): RSS is then the process tree's. */
const workers = Number(values.workers ?? 1);
const subscribers = Number(values.subscribers ?? (quick ? 50 : 1000));
const BATCH = 50;
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const repoRoot = here("../../../");

interface Result {
  name: string;
  unit: string;
  /** Units answered per HTTP request (CPU per request is per HTTP request). */
  perRequest?: number;
  rate: number;
  p50Ms: number;
  p99Ms: number;
  /** Peak RSS of the server while measured. */
  rssMb: number;
  /** Rate against the paired baseline's (1 for a baseline). */
  ratioToBaseline: number | null;
  baseline?: string;
  /** p99 and peak RSS against the paired baseline's (targets: ≤ 2). */
  p99ToBaseline?: number;
  rssToBaseline?: number;
  /** Batches only: lookups/s against the single-lookup baseline. */
  ratioToSingleBaseline?: number;
  /** Where the time went, from probe.mjs and /metrics (see docs/performance.md). */
  profile: {
    /** Server CPU time per HTTP request. */
    cpuMsPerRequest: number;
    /** Event-loop delay beyond the monitor's 10 ms resolution. */
    eventLoopDelayMs: { p50: number; p99: number; max: number };
    /** GC pauses: share of the scenario's time, and the longest. */
    gcShare: number;
    gcMaxMs: number;
    /** Queries waiting for a pool connection, sampled every 250 ms (the service on PostgreSQL only). */
    poolWaiting: { max: number; mean: number } | null;
  };
  /** Replica scenarios: which server answered the reads (replicas.ts). */
  reads?: ReadShares;
}

/**
 * Warms a server up (JIT, pools, plans, the key cache) with `scenario`'s requests until they have answered
 * WARM_UP_UNITS of its unit (lookups, rows…) or WARM_UP_MS passed. Counted, not only timed: on a loaded machine 2 s
 * gave the service a few hundred requests, and it was measured half-compiled, at about twice the CPU per request it
 * spends once warm (docs/performance.md).
 */
const WARM_UP_UNITS = quick ? 300 : 3000;
const WARM_UP_MS = quick ? 2000 : 20_000;
async function warmUp(server: Running, scenario: Scenario): Promise<void> {
  const until = performance.now() + WARM_UP_MS;
  const requests = Math.ceil(WARM_UP_UNITS / scenario.perRequest);
  const chunk = Math.min(250, requests);
  for (let sent = 0; sent < requests && performance.now() < until; sent += chunk) {
    await autocannon({
      url: server.url,
      connections: Math.min(scenario.connections ?? connections, chunk),
      amount: chunk,
      requests: [{ setupRequest: (req) => ({ ...req, ...scenario.request() }) }],
    });
  }
}

async function measure(server: Running, scenario: Scenario, duration = seconds, withPool = false) {
  await readProbe(server); // starts the probe's window here
  // With WORKERS > 1 the probe sees the primary only: CPU then comes from /proc for the whole process tree.
  const treeCpuBefore = workers > 1 ? await treeCpuMs(server.child.pid) : 0;
  const background = scenario.background;
  const behind =
    background &&
    autocannon({
      url: server.url,
      connections: background.connections,
      duration,
      requests: [{ setupRequest: (req) => ({ ...req, ...background.request() }) }],
    });
  const run = autocannon({
    url: server.url,
    connections: scenario.connections ?? connections,
    duration,
    requests: [{ setupRequest: (req) => ({ ...req, ...scenario.request() }) }],
  });
  const { result, samples } = await sample(server, run, { withPool, tree: workers > 1 });
  if (behind) {
    // The neighbour's own answers: refusals (429 beyond its key's share) are its, not the measured caller's. Its
    // queries take longer than a quick run's 1 s row, so none finishing there says nothing about the measured space.
    const other = await behind;
    const finished = other.requests.total;
    console.error(
      `${scenario.name}: the noisy neighbour (the other space, not measured) finished ${finished} of its long queries ` +
        (finished === 0
          ? `within the row's ${duration} s: none had time to finish (they run longer than a short row)`
          : `(${JSON.stringify(other.statusCodeStats)}), p50 ${other.latency.p50} ms, p99 ${other.latency.p99} ms`),
    );
  }
  const probe = await readProbe(server);
  const cpuMs = workers > 1 ? (await treeCpuMs(server.child.pid)) - treeCpuBefore : probe.cpuMs;
  if (result.errors || result.non2xx) {
    throw new Error(
      `${scenario.name}: ${result.errors} errors, ${result.non2xx} non-2xx answers (${JSON.stringify(result.statusCodeStats)})`,
    );
  }
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    rate: result.requests.average * scenario.perRequest,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    rssMb: Math.round(samples.peakRssMb),
    profile: {
      cpuMsPerRequest: round(cpuMs / Math.max(1, result.requests.total)),
      eventLoopDelayMs: {
        p50: round(probe.eventLoopDelayMs.p50),
        p99: round(probe.eventLoopDelayMs.p99),
        max: round(probe.eventLoopDelayMs.max),
      },
      gcShare: Math.round((probe.gc.totalMs / probe.elapsedMs) * 1000) / 1000,
      gcMaxMs: round(probe.gc.maxMs),
      poolWaiting: samples.poolWaiting && {
        max: samples.poolWaiting.max,
        mean: round(samples.poolWaiting.mean),
      },
    },
  };
}

const results: Result[] = [];
const idle: Record<string, number> = {};
const baselineRates = new Map<BaselineName, Result>();

/** The built server over `url`, as `pnpm start` runs it (BENCH_NODE_FLAGS tries other node flags). */
function startServer(
  url: string,
  auth: "required" | "off",
  env: Record<string, string> = {},
  moreFlags: string[] = [],
) {
  const processes = url.startsWith("postgresql:") ? workers : 1;
  return startProcess(
    here("../dist/main.js"),
    {
      DATABASE_URL: url,
      DATABASE_POOL_SIZE: "16",
      AUTH: auth,
      // Counted, never refusing: the limiter's cost is in the figures, its 429s are not.
      RATE_LIMIT_PER_MINUTE: "100000000",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
      WORKERS: String(processes),
      ...env,
    },
    "/readyz",
    [...(process.env.BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? []), ...moreFlags],
  );
}

/** One service scenario under load, as a result row with its ratios to the hand-written baselines. */
async function measureService(
  server: Running,
  scenario: Scenario,
  suffix: string,
  base = scenario.baseline ? baselineRates.get(scenario.baseline) : undefined,
): Promise<Result> {
  const r = await measure(server, scenario, seconds, true);
  const single = baselineRates.get("single");
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  return {
    name: scenario.name + suffix,
    unit: scenario.unit,
    perRequest: scenario.perRequest,
    ...r,
    ratioToBaseline: base ? ratio(r.rate, base.rate) : null,
    ...(base
      ? { baseline: base.name, p99ToBaseline: ratio(r.p99Ms, base.p99Ms), rssToBaseline: ratio(r.rssMb, base.rssMb) }
      : {}),
    ...(scenario.perRequest > 1 && single ? { ratioToSingleBaseline: ratio(r.rate, single.rate) } : {}),
  };
}

const wanted = (s: Pick<Scenario, "name">) => !values.only || s.name.toLowerCase().includes(values.only.toLowerCase());
const fanout: Record<string, FanoutResult> = {};
// PostgreSQL first: its hand-written baselines are what every row, the embedded ones too, is compared with.
const targets = (await testTargets())
  // WORKERS compares processes on PostgreSQL: the embedded database takes one.
  .filter((t) => !t.skip && (workers === 1 || t.name === "postgres"))
  .filter((t) => !values.database || t.name === values.database)
  .sort((a, b) => (a.name === "postgres" ? -1 : b.name === "postgres" ? 1 : 0));

for (const { name: kind } of targets) {
  const dataDir = kind === "embedded" ? await mkdtemp(path.join(os.tmpdir(), "mm-bench-")) : undefined;
  const database = kind === "postgres" ? await createTestDatabase("postgres") : undefined;
  const url = database?.url ?? `file:${dataDir}`;
  const started = performance.now();
  const apiKey = await seed(url, rows);
  // The noisy neighbour of the isolation pair (PostgreSQL only, below).
  const noisyKey = kind === "postgres" ? await seedNoisy(url) : "";
  console.error(`${kind}: ${rows} rows seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const context = { rows, apiKey, batch: BATCH, noisyKey };
  const suffix = kind === "embedded" ? " [embedded]" : "";
  try {
    // The hand-written baseline reads PostgreSQL only (the embedded database belongs to one process): the embedded
    // rows compare with its last figures. On PostgreSQL both servers run side by side and each service scenario is
    // measured right after its baseline, so the pair sees the same load from the rest of the machine.
    const baseline =
      kind === "postgres"
        ? await startProcess(here("baseline-server.ts"), { DATABASE_URL: url, DATABASE_POOL_SIZE: "16" }, "/v/bench-0")
        : undefined;
    const baselines = baselineScenarios(context);
    const pairedWith = async (scenario: Scenario) => {
      if (!baseline || !scenario.baseline) return;
      const r = await measure(baseline, baselines[scenario.baseline]);
      const base = baselines[scenario.baseline];
      const result: Result = {
        name: base.name,
        unit: scenario.unit,
        perRequest: base.perRequest,
        ...r,
        ratioToBaseline: 1,
      };
      baselineRates.set(scenario.baseline, result);
      results.push(result);
    };
    try {
      if (baseline) {
        idle["baseline"] = await rssMb(baseline.child.pid);
        await warmUp(baseline, baselines.single);
        // The batch rows are also compared with one lookup per request.
        baselineRates.set("single", {
          ...(await measure(baseline, baselines.single)),
          name: "",
          unit: "",
          ratioToBaseline: 1,
        });
      }
      const server = await startServer(url, "required");
      try {
        idle[`server${suffix}`] = await rssMb(server.child.pid, { tree: workers > 1 });
        // The isolation pair on PostgreSQL only: the embedded database answers nobody else while the neighbour's
        // queries run (docs/performance.md), and the process stays blocked long after the measurement.
        const isolation = kind === "postgres" ? isolationScenarios(context) : [];
        const scenarios = [...serviceScenarios(context), ...isolation].filter(wanted);
        if (scenarios[0]) await warmUp(server, scenarios[0]);
        for (const scenario of scenarios) {
          await pairedWith(scenario);
          const earlier = results.find((r) => r.name === `${scenario.comparedWith}${suffix}`);
          results.push(await measureService(server, scenario, suffix, earlier));
        }
      } finally {
        await stop(server);
      }
      const authOff = authOffScenario(context);
      if (kind === "postgres" && wanted(authOff)) {
        const open = await startServer(url, "off");
        try {
          await warmUp(open, authOff);
          await pairedWith(authOff);
          results.push(await measureService(open, authOff, suffix));
        } finally {
          await stop(open);
        }
      }
    } finally {
      if (baseline) await stop(baseline);
    }
    if (kind === "postgres") await measureReplicas(url, context);
    if (wanted({ name: "fan-out" })) {
      // Its own server, one process: its memory before and with the streams open is the streams'.
      // --expose-gc: the memory is read after a full collection, with and without the streams.
      const server = await startServer(url, "required", { WORKERS: "1", MAX_STREAMS_PER_KEY: String(subscribers) }, [
        "--expose-gc",
      ]);
      try {
        fanout[kind] = await measureFanout(server, apiKey, { subscribers, writes: quick ? 5 : 20 });
      } finally {
        await stop(server);
      }
    }
  } finally {
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

/**
 * The replica scenarios (replicas.ts) on a server with the standby as its one replica; each compares with the same
 * scenario on the primary-only server above (the mix, with nothing).
 */
async function measureReplicas(url: string, context: Parameters<typeof replicaScenarios>[0]): Promise<void> {
  const scenarios = replicaScenarios(context).filter(wanted);
  if (scenarios.length === 0) return;
  const skip = await replicaSkip();
  if (skip) return;
  // One process: /readyz then counts every read of the run (each process reports its own).
  const server = await startServer(url, "required", { DATABASE_REPLICA_URLS: await replicaOf(url), WORKERS: "1" });
  try {
    await untilReplicaUp(server);
    await warmUp(server, scenarios[0]!); // the replica's pool and plans too
    for (const scenario of scenarios) {
      const primaryOnly = results.find((r) => r.name === scenario.name);
      const [result, reads] = await withReadShares(server, () =>
        measureService(server, scenario, " [1 replica]", primaryOnly),
      );
      results.push({ ...result, reads });
    }
  } finally {
    await stop(server);
  }
}

const fmt = (n: number | null | undefined, digits = 0) =>
  n === null || n === undefined || Number.isNaN(n) ? "–" : n.toFixed(digits);
const times = (n: number | undefined) => (n === undefined ? "" : `${n.toFixed(2)}×`);
const table = [
  [
    "scenario",
    "rate",
    "unit",
    "p50 ms",
    "p99 ms",
    "peak RSS MB",
    "vs baseline",
    "p99 vs",
    "RSS vs",
    "vs single",
    "CPU ms/req",
    "loop delay p99/max ms",
    "GC share/max ms",
    "pool waiting max/mean",
  ],
  ...results.map((r) => [
    r.name,
    fmt(r.rate),
    r.unit,
    fmt(r.p50Ms, 1),
    fmt(r.p99Ms, 1),
    fmt(r.rssMb),
    r.ratioToBaseline === null ? "–" : `${r.ratioToBaseline.toFixed(2)}×`,
    times(r.p99ToBaseline),
    times(r.rssToBaseline),
    times(r.ratioToSingleBaseline),
    fmt(r.profile.cpuMsPerRequest, 2),
    `${fmt(r.profile.eventLoopDelayMs.p99, 1)} / ${fmt(r.profile.eventLoopDelayMs.max, 1)}`,
    `${fmt(r.profile.gcShare * 100, 1)}% / ${fmt(r.profile.gcMaxMs, 1)}`,
    r.profile.poolWaiting ? `${r.profile.poolWaiting.max} / ${fmt(r.profile.poolWaiting.mean, 1)}` : "",
  ]),
];
const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(
  `\n${connections} connections (batches: 8), ${seconds} s per scenario, ${rows} rows, random videoIds, AUTH=required, WORKERS=${workers}`,
);
console.log(
  `idle RSS MB: ${Object.entries(idle)
    .map(([k, v]) => `${k} ${v.toFixed(0)}`)
    .join(", ")}\n`,
);
console.log([line(table[0]!), line(widths.map((w) => "-".repeat(w))), ...table.slice(1).map(line)].join("\n"));
const shared = results.filter((r) => r.reads);
if (shared.length > 0) {
  console.log('\nreads answered by each server (with 1 replica; "vs baseline" above is against the primary-only row):');
  for (const r of shared) {
    const shares = Object.entries(r.reads!.share).map(([name, share]) => `${name} ${(share * 100).toFixed(1)}%`);
    console.log(`  ${r.name}: ${r.reads!.reads} reads — ${shares.join(", ")}`);
  }
}

if (Object.keys(fanout).length > 0) {
  console.log(
    `\nchange fan-out (one process; aims: p99 ≤ 250 ms, ≤ 50 KB per idle stream; load average ${os.loadavg()[0]!.toFixed(1)}):\n` +
      "| database | subscribers | writes | ack→delivery p50 / p99 / max ms | send→last p50 / p99 ms | CPU ms per write: server / subscribers | RSS MB no streams → idle streams | KB per idle stream: RSS / heap |",
  );
  for (const [kind, f] of Object.entries(fanout)) {
    const a = f.ackToDeliveryMs;
    console.log(
      `| ${kind} | ${f.subscribers} | ${f.writes} | ${a.p50} / ${a.p99} / ${a.max} | ${f.sendToLastMs.p50} / ${f.sendToLastMs.p99} | ${f.cpuMsPerWrite.server} / ${f.cpuMsPerWrite.subscribers} | ${f.rssMb.before} → ${f.rssMb.idleStreams} | ${f.rssKbPerIdleStream} / ${f.heapKbPerIdleStream} |`,
    );
  }
}

const machine = {
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  memoryGb: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  load: os.loadavg(),
};
const file = path.join(repoRoot, "bench/results/latest.json");
await mkdir(path.dirname(file), { recursive: true });
await writeFile(
  file,
  `${JSON.stringify({ machine, params: { rows, seconds, connections, workers, subscribers, batch: BATCH, quick, auth: "required", at: new Date().toISOString() }, idleRssMb: idle, results, fanout }, null, 2)}\n`,
);
console.log(`\nwritten to ${path.relative(process.cwd(), file)}`);
