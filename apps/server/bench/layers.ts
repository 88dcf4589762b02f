/**
 * What each layer of the single lookup's request path costs, measured: a ladder of servers answering the same lookup
 * on one seeded PostgreSQL database, from the hand-written baseline (node:http + pg) up to the full service, each rung
 * changing one thing of the one below, mostly adding a layer (layer-servers.ts says which). All run side by side and
 * are measured in alternating bursts (bursts.ts, as ab.ts): server CPU µs per lookup, the database backends' µs, and
 * the bursts' p99 (medians over the rounds; ratios to the baseline's burst of the same round).
 * A profile's shares say where samples fell; this says what removing a layer would give back.
 *
 *   node --conditions=@memory-mirror/source --import tsx bench/layers.ts [--rounds 12] [--requests 500] \
 *     [--connections 4] [--only baseline,adapter,service] [--against /path/to/another/tree]
 *
 * Needs BENCH_DATABASE_URL (a database cpu.ts seeded and kept: BENCH_KEEP=1) and a built dist (the service rungs run
 * dist/main.js). The stripped rungs run through tsx, as the service does not: the last rung, the service from its
 * sources through tsx, shows what that difference is worth (it should match the rung from dist).
 * `--against` adds beside every rung but the baseline its twin from another tree (`<rung>@against`: that tree's
 * layer-servers.ts or dist, which must be built too), in the same alternation: a change to one layer, before and after.
 */
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import pg from "pg";
import { alternate, type Burst, median, type Side } from "./bursts.ts";
import type { Layer } from "./layer-servers.ts";
import { type Running, serviceEnv, startProcess, stop } from "./processes.ts";
import { authOffScenario, baselineScenarios, SINGLE_LOOKUP, serviceScenarios } from "./scenarios.ts";
import { seed, videoIdOf } from "./seed.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "12" },
    requests: { type: "string", default: "500" },
    connections: { type: "string", default: "4" },
    rows: { type: "string", default: "10000" },
    only: { type: "string" },
    against: { type: "string" },
  },
});
const url = process.env.BENCH_DATABASE_URL;
if (!url) throw new Error("BENCH_DATABASE_URL: a database seeded by cpu.ts (BENCH_KEEP=1 keeps the one it makes)");
const rows = Number(values.rows);
const context = { rows, apiKey: await seed(url, 0, `layers-${Date.now()}`), batch: 50 };
const benchDir = (tree: string) => pathToFileURL(`${resolve(tree, "apps/server/bench")}/`);
const here = (p: string, from: URL | string = import.meta.url) => fileURLToPath(new URL(p, from));

const pick = () => videoIdOf(Math.floor(Math.random() * rows));
const path = () => ({ method: "GET" as const, path: `/v/${encodeURIComponent(pick())}` });
const trpcLookup = () => ({
  method: "GET" as const,
  path: `/trpc/videoAnalysis.byVideoId?input=${encodeURIComponent(JSON.stringify({ videoId: pick() }))}`,
});
const { single } = baselineScenarios(context);
const keyed = serviceScenarios(context).find((s) => s.name === SINGLE_LOOKUP);
if (!keyed) throw new Error(`serviceScenarios has no "${SINGLE_LOOKUP}" scenario`);

interface Rung {
  name: string;
  /** What this rung adds to the one before. */
  adds: string;
  /** Starts the rung's server from this tree, or from the bench directory `from` of another one (--against). */
  start(env: Record<string, string>, from?: URL): Promise<Running>;
  request: Side["request"];
}
const layer = (name: Layer, adds: string, request: Side["request"]): Rung => ({
  name,
  adds,
  start: (env, from) => startProcess(here("layer-servers.ts", from), { ...env, LAYER: name }, request().path),
  request,
});
const service = (name: string, adds: string, script: string, auth: "off" | "required"): Rung => {
  const scenario = auth === "off" ? authOffScenario(context) : keyed;
  const request = () => scenario.request();
  return {
    name,
    adds,
    start: (env, from) => startProcess(here(script, from), { ...env, AUTH: auth }, "/readyz"),
    request,
  };
};
const RUNGS: Rung[] = [
  {
    name: "baseline",
    adds: "node:http + pg, 9 columns, `= $2`",
    start: (env) => startProcess(here("baseline-server.ts"), env, "/v/bench-0"),
    request: () => single.request(),
  },
  layer("statement", "the service's statement (12 columns, `= ANY`, to_json tags)", path),
  layer("pool", "the service's pool (openPostgres: timeouts), rows as arrays", path),
  layer("adapter", "@prisma/adapter-pg through queryDriver", path),
  layer("decode", "storedRowsOf + toAnalysis (Dates, tags and metadata parsed)", path),
  layer("caller", "tRPC procedure: middleware, zod in/out, DataLoader, budget", trpcLookup),
  layer("node-server", "@hono/node-server: web Request/Response", trpcLookup),
  layer("fetch-adapter", "tRPC fetch adapter (resolveResponse) for the caller", trpcLookup),
  layer("hono", "Hono routing /trpc/*", trpcLookup),
  layer("access-log", "request id, access line (pino), request metrics (prom-client)", trpcLookup),
  layer("headers", "secure headers, CORS policy", trpcLookup),
  service(
    "service-auth-off",
    "the service, AUTH=off: transport guards, admission, call metrics, its other routes",
    "../dist/main.js",
    "off",
  ),
  service("service", "API key verified (cached), rate limit, share", "../dist/main.js", "required"),
  service("service-tsx", "control: the service from its sources through tsx", "../src/main.ts", "required"),
];
const only = values.only?.split(",");
const against = values.against;
const rungs = RUNGS.filter((rung) => !only || only.includes(rung.name)).flatMap((rung): Rung[] =>
  against && rung.name !== "baseline"
    ? [
        rung,
        {
          ...rung,
          name: `${rung.name}@against`,
          adds: `the same from ${against}`,
          start: (env) => rung.start(env, benchDir(against)),
        },
      ]
    : [rung],
);

const admin = new pg.Client({ connectionString: url });
await admin.connect();
const sides: Side[] = [];
try {
  for (const rung of rungs) {
    const app = `mm-bench-layers-${rung.name}`;
    const running = await rung.start({ ...serviceEnv(url), PGAPPNAME: app });
    sides.push({ name: rung.name, server: running, request: rung.request, app });
  }
  const { bursts, loads } = await alternate(sides, {
    rounds: Number(values.rounds),
    requests: Number(values.requests),
    connections: Number(values.connections),
    admin,
  });
  // Medians, not means: on a shared machine a burst now and then runs beside someone's test suite and costs 2–3×.
  const cpu = bursts.map((side) => median(side.map((b) => b.cpu)));
  const database = bursts.map((side) => median(side.map((b) => b.database)));
  const p99 = bursts.map((side) => median(side.map((b) => b.p99)));
  const base = rungs[0]?.name === "baseline" ? bursts[0]! : undefined;
  // Against the baseline's burst of the same round, which saw nearly the same moments of the machine's load.
  const ratio = (i: number, of: (b: Burst) => number) =>
    base
      ? median(bursts[i]!.map((b, round) => of(b) / of(base[round]!)))
          .toFixed(2)
          .padStart(6)
      : "     -";
  const full = rungs.findIndex((rung) => rung.name === "service");
  const n = (x: number, width: number) => x.toFixed(0).padStart(width);
  console.log(
    `${"rung".padEnd(17)} ${"µs".padStart(5)} ${"×base".padStart(6)} ${"step".padStart(5)} ${"%svc".padStart(5)} ` +
      `${"db µs".padStart(6)} ${"p99 ms".padStart(6)} ${"×base".padStart(6)}  adds; server µs of each round`,
  );
  rungs.forEach((rung, i) => {
    // A twin (@against) is compared with its rung, not stepped from; the rung after it steps from the rung before.
    const twin = (name: string | undefined) => name?.endsWith("@against") ?? false;
    const below = twin(rungs[i - 1]?.name) ? i - 2 : i - 1;
    const step = i > 0 && !rung.name.endsWith("-tsx") && !twin(rung.name) ? cpu[i]! - cpu[below]! : Number.NaN;
    const measured = !Number.isNaN(step);
    console.log(
      `${rung.name.padEnd(17)} ${n(cpu[i]!, 5)} ${ratio(i, (b) => b.cpu)} ${measured ? n(step, 5) : "    -"} ` +
        `${measured && full >= 0 ? n((100 * step) / cpu[full]!, 4) + "%" : "    -"} ${n(database[i]!, 6)} ` +
        `${n(p99[i]!, 6)} ${ratio(i, (b) => b.p99)}  ${rung.adds}; ${bursts[i]!.map((b) => b.cpu.toFixed(0)).join(" ")}`,
    );
  });
  console.log(
    `${values.rounds} rounds of ${values.requests} lookups at ${values.connections} connections; load ` +
      `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
  );
} finally {
  await admin.end();
  for (const side of sides) await stop(side.server);
}
