/**
 * Server CPU time per request, the service against its hand-written baseline, on PostgreSQL: a fixed number of
 * requests per scenario at a few connections, CPU from process.cpuUsage in each server (probe.mjs). CPU per request
 * barely moves with the machine's load, where rates and latencies do: this is what to compare before and after a
 * change on a shared machine.
 *
 *   node --conditions=@memory-mirror/source --import tsx bench/cpu.ts [--rows 10000] [--requests 3000] [--only text]
 *
 * BENCH_DATABASE_URL reuses a database seeded by an earlier run (BENCH_KEEP=1 keeps the one it makes);
 * BENCH_NODE_FLAGS passes flags to the service (e.g. --cpu-prof); LOG_LEVEL as in run.ts.
 */
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createTestDatabase } from "@memory-mirror/db/testing";
import autocannon from "autocannon";
import { readProbe, type Running, startProcess, stop } from "./processes.ts";
import { baselineScenarios, type Scenario, serviceScenarios } from "./scenarios.ts";
import { seed } from "./seed.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "10000" },
    requests: { type: "string", default: "3000" },
    connections: { type: "string", default: "4" },
    only: { type: "string" },
  },
});
const rows = Number(values.rows);
const requests = Number(values.requests);
const connections = Number(values.connections);
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Server CPU µs per request over `amount` requests of the scenario. */
async function cpuPerRequest(server: Running, scenario: Scenario, amount: number): Promise<number> {
  await readProbe(server);
  const result = await autocannon({
    url: server.url,
    connections: Math.min(connections, scenario.connections ?? connections),
    amount,
    requests: [{ setupRequest: (req) => ({ ...req, ...scenario.request() }) }],
  });
  const probe = await readProbe(server);
  if (result.errors || result.non2xx)
    throw new Error(`${scenario.name}: ${result.errors} errors, ${result.non2xx} non-2xx`);
  return (probe.cpuMs * 1000) / result.requests.total;
}

const keep = process.env.BENCH_DATABASE_URL;
const database = keep ? undefined : await createTestDatabase("postgres");
const url = keep ?? database!.url;
const apiKey = await seed(url, keep ? 0 : rows, keep ? `bench-${Date.now()}` : "bench").catch(
  async (error: unknown) => {
    await database?.drop();
    throw error;
  },
);
if (process.env.BENCH_KEEP === "1" && database) console.error(`kept: BENCH_DATABASE_URL=${url}`);
const context = { rows, apiKey, batch: 50 };
const wanted = (s: Scenario) => !values.only || s.name.toLowerCase().includes(values.only.toLowerCase());
const env = { DATABASE_URL: url, DATABASE_POOL_SIZE: "16" };
const baseline = await startProcess(here("baseline-server.ts"), env, "/v/bench-0");
const service = await startProcess(
  here("../dist/main.js"),
  { ...env, AUTH: "required", RATE_LIMIT_PER_MINUTE: "100000000", LOG_LEVEL: process.env.LOG_LEVEL ?? "info" },
  "/readyz",
  process.env.BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? [],
);
const load = () => os.loadavg()[0]!.toFixed(1);
try {
  const baselines = baselineScenarios(context);
  const scenarios = serviceScenarios(context).filter((s) => wanted(s) && s.baseline && s.perRequest === 1);
  for (const scenario of scenarios) {
    const base = baselines[scenario.baseline!];
    // Warm-up (JIT, pools, plans), then measured.
    await cpuPerRequest(baseline, base, requests / 3);
    await cpuPerRequest(service, scenario, requests / 3);
    const b = await cpuPerRequest(baseline, base, requests);
    const s = await cpuPerRequest(service, scenario, requests);
    console.log(
      `${scenario.name.padEnd(45)} service ${s.toFixed(0).padStart(6)} µs  baseline ${b.toFixed(0).padStart(5)} µs  ${(s / b).toFixed(1).padStart(5)}×  load ${load()}`,
    );
  }
} finally {
  await stop(service);
  await stop(baseline);
  if (process.env.BENCH_KEEP !== "1") await database?.drop();
}
