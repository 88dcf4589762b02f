/**
 * Server CPU time per request, the service against its hand-written baseline, on PostgreSQL: a fixed number of
 * requests per scenario at a few connections, CPU from process.cpuUsage in each server (probe.mjs). CPU per request
 * barely moves with the machine's load, where rates and latencies do: this is what to compare before and after a
 * change on a shared machine.
 *
 *   node --conditions=@memory-mirror/source --import tsx bench/cpu.ts [--rows 10000] [--requests 3000] [--only text]
 *
 * Beside each server's own CPU it prints the CPU of the PostgreSQL backends serving it (their /proc times, found by
 * application_name): a rate on a shared machine pays for both, and the server's figure leaves the database's out.
 *
 * Answers the service sheds by design under load (429 past its key's share, 503 past the pool's wait) are printed as
 * "shed N×429 of M" on the scenario's line instead of failing the run; any other non-2xx answer fails it.
 *
 * BENCH_DATABASE_URL reuses a database seeded by an earlier run (BENCH_KEEP=1 keeps the one it makes);
 * BENCH_NODE_FLAGS passes flags to the service (e.g. --cpu-prof); LOG_LEVEL as in run.ts. `--auth off` runs the
 * service with AUTH=off and adds the keyless lookup (run.ts's AUTH=off row): beside a keyed run, what keys cost.
 */
import os from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createTestDatabase } from "@memory-mirror/db/testing";
import autocannon from "autocannon";
import pg from "pg";
import { databaseCpuMs, spentSince } from "./bursts.ts";
import { readProbe, type Running, startProcess, stop } from "./processes.ts";
import { authOffScenario, baselineScenarios, type Scenario, serviceScenarios } from "./scenarios.ts";
import { seed } from "./seed.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "10000" },
    requests: { type: "string", default: "3000" },
    connections: { type: "string", default: "4" },
    only: { type: "string" },
    auth: { type: "string", default: "required" },
  },
});
const rows = Number(values.rows);
const requests = Number(values.requests);
const connections = Number(values.connections);
if (values.auth !== "required" && values.auth !== "off") throw new Error("--auth is required or off");
const auth = values.auth;
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** The application_name each server's PostgreSQL connections carry (pg reads PGAPPNAME), to find its backends. */
const APP = { baseline: "mm-bench-cpu-baseline", service: "mm-bench-cpu-service" };
type Measured = Running & { app: string };

/**
 * Answers the service may give under load by design, each an honest refusal rather than a fault: 429 when one key's
 * calls beyond its share (KEY_CONCURRENCY) waited KEY_QUEUE_MS in line, 503 when a call waited for a pooled
 * connection past DATABASE_TIMEOUT_MS. They are counted and printed, not treated as the bench failing.
 */
const SHED = new Set(["429", "503"]);

/**
 * Server and database CPU µs per request over `amount` requests of the scenario (refused ones included: they cost
 * CPU too), and the statuses of those the server shed. Any other non-2xx answer, or a socket error, is a failure.
 */
async function cpuPerRequest(
  server: Measured,
  scenario: Scenario,
  amount: number,
): Promise<{ server: number; database: number; shed: string }> {
  await readProbe(server);
  const databaseBefore = await databaseCpuMs(admin, server.app);
  const result = await autocannon({
    url: server.url,
    connections: Math.min(connections, scenario.connections ?? connections),
    amount,
    requests: [{ setupRequest: (req) => ({ ...req, ...scenario.request() }) }],
  });
  const probe = await readProbe(server);
  const database = spentSince(databaseBefore, await databaseCpuMs(admin, server.app));
  const refused = Object.entries(result.statusCodeStats ?? {}).filter(([status]) => !status.startsWith("2"));
  const counts = refused.map(([status, { count }]) => `${count}×${status}`).join(", ");
  if (result.errors || refused.some(([status]) => !SHED.has(status)))
    throw new Error(`${scenario.name}: ${result.errors} errors, ${result.non2xx} non-2xx (${counts})`);
  const total = result.requests.total;
  return { server: (probe.cpuMs * 1000) / total, database: (database * 1000) / total, shed: counts };
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
const admin = new pg.Client({ connectionString: url });
await admin.connect();
const baseline: Measured = {
  ...(await startProcess(here("baseline-server.ts"), { ...env, PGAPPNAME: APP.baseline }, "/v/bench-0")),
  app: APP.baseline,
};
const service: Measured = {
  ...(await startProcess(
    here("../dist/main.js"),
    {
      ...env,
      PGAPPNAME: APP.service,
      AUTH: auth,
      RATE_LIMIT_PER_MINUTE: "100000000",
      // One key sends every request: at --connections 64 its calls beyond KEY_CONCURRENCY (8 of pool 16) queue, and
      // on a loaded machine the last in line waited past the 2 s default and were refused (429). This measures CPU
      // per answered request at that concurrency, not the load shedding (fair-share.test.ts and run.ts's isolation
      // scenarios do): the line is long enough that nothing is refused.
      KEY_QUEUE_MS: "60000",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
    },
    "/readyz",
    process.env.BENCH_NODE_FLAGS?.split(" ").filter(Boolean) ?? [],
  )),
  app: APP.service,
};
const load = () => os.loadavg()[0]!.toFixed(1);
const µs = (n: number, width: number) => n.toFixed(0).padStart(width);
try {
  const baselines = baselineScenarios(context);
  // One request per unit by default; a batch (of 50 lookups, of 500 rows) when --only names it, against its baseline's
  // batch of the same size (byVideoIds of 100 has none).
  const comparable = (s: Scenario) =>
    s.perRequest === 1 || (values.only !== undefined && s.perRequest === baselines[s.baseline!].perRequest);
  const all = [...serviceScenarios(context), ...(auth === "off" ? [authOffScenario(context)] : [])];
  const scenarios = all.filter((s) => wanted(s) && s.baseline && comparable(s));
  for (const scenario of scenarios) {
    const base = baselines[scenario.baseline!];
    // Warm-up (JIT, pools, plans), then measured.
    await cpuPerRequest(baseline, base, requests / 3);
    await cpuPerRequest(service, scenario, requests / 3);
    const b = await cpuPerRequest(baseline, base, requests);
    const s = await cpuPerRequest(service, scenario, requests);
    console.log(
      `${scenario.name.padEnd(45)} service ${µs(s.server, 6)} µs  baseline ${µs(b.server, 5)} µs  ` +
        `${(s.server / b.server).toFixed(1).padStart(5)}×  database ${µs(s.database, 5)} / ${µs(b.database, 5)} µs  ` +
        `load ${load()}${s.shed ? `  shed ${s.shed} of ${requests}` : ""}`,
    );
  }
} finally {
  await admin.end();
  await stop(service);
  await stop(baseline);
  if (process.env.BENCH_KEEP !== "1") await database?.drop();
}
