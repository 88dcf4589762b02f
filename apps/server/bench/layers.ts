/**
 * What each layer of the single lookup's request path costs, measured: a ladder of servers answering the same lookup
 * on one seeded PostgreSQL database, from the hand-written baseline (node:http + pg) up to the full service, each rung
 * changing one thing of the one below, mostly adding a layer (layer-servers.ts says which). All run side by side and
 * are measured in alternating bursts (bursts.ts, as ab.ts): server CPU µs per lookup, the database backends' µs, and
 * the bursts' p99 (medians over the rounds; ratios to the baseline's burst of the same round).
 * A profile's shares say where samples fell; this says what removing a layer would give back.
 *
 *   node --conditions=@memory-mirror/source --import tsx bench/layers.ts [--rounds 12] [--requests 500] \
 *     [--connections 4] [--only baseline,adapter,service] [--together]
 *
 * `--together` runs each round's bursts at once (bursts.ts): for a few rungs compared on a busy machine.
 *
 * Needs BENCH_DATABASE_URL (a database cpu.ts seeded and kept: BENCH_KEEP=1) and a built dist (the service rungs run
 * dist/main.js). The stripped rungs run through tsx, as the service does not: the last rung, the service from its
 * sources through tsx, shows what that difference is worth (it should match the rung from dist).
 */
import { fileURLToPath } from "node:url";
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
    together: { type: "boolean", default: false },
  },
});
const url = process.env.BENCH_DATABASE_URL;
if (!url) throw new Error("BENCH_DATABASE_URL: a database seeded by cpu.ts (BENCH_KEEP=1 keeps the one it makes)");
const rows = Number(values.rows);
const context = { rows, apiKey: await seed(url, 0, `layers-${Date.now()}`), batch: 50 };
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

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
  /** What this rung adds to the one before (or, for an alternative, swaps in the rung it is `versus`). */
  adds: string;
  /** An alternative's counterpart: the rung carrying the same work with the part it swaps. */
  versus?: Layer;
  start(env: Record<string, string>): Promise<Running>;
  request: Side["request"];
}
const layer = (name: Layer, adds: string, request: Side["request"], versus?: Layer): Rung => ({
  name,
  adds,
  ...(versus ? { versus } : {}),
  start: (env) => startProcess(here("layer-servers.ts"), { ...env, LAYER: name }, request().path),
  request,
});
const service = (name: string, adds: string, script: string, auth: "off" | "required"): Rung => {
  const scenario = auth === "off" ? authOffScenario(context) : keyed;
  const request = () => scenario.request();
  return { name, adds, start: (env) => startProcess(here(script), { ...env, AUTH: auth }, "/readyz"), request };
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
  layer("hono-native", "`hono` with tRPC's answer an undici Response (overrideGlobalObjects off)", trpcLookup, "hono"),
  layer("hono-srvx", "`hono` on srvx's Node handler, undici's Response", trpcLookup, "hono"),
  layer("hono-srvx-fast", "`hono-srvx` with srvx's FastResponse as the global Response", trpcLookup, "hono"),
  layer("trpc-node-http", "tRPC's node:http adapter for node-server + fetch adapter", trpcLookup, "fetch-adapter"),
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
const rungs = RUNGS.filter((rung) => !only || only.includes(rung.name));

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
    together: values.together,
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
  // An alternative's step is taken from its counterpart (NaN when that rung was left out), any other's from the rung
  // before it.
  const against = (rung: Rung, i: number) => (rung.versus ? rungs.findIndex((r) => r.name === rung.versus) : i - 1);
  rungs.forEach((rung, i) => {
    const j = against(rung, i);
    const step = j >= 0 && !rung.name.endsWith("-tsx") ? cpu[i]! - cpu[j]! : Number.NaN;
    const measured = !Number.isNaN(step);
    console.log(
      `${rung.name.padEnd(17)} ${n(cpu[i]!, 5)} ${ratio(i, (b) => b.cpu)} ${measured ? n(step, 5) : "    -"} ` +
        `${measured && full >= 0 ? n((100 * step) / cpu[full]!, 4) + "%" : "    -"} ${n(database[i]!, 6)} ` +
        `${n(p99[i]!, 6)} ${ratio(i, (b) => b.p99)}  ${rung.adds}; ${bursts[i]!.map((b) => b.cpu.toFixed(0)).join(" ")}`,
    );
  });
  // An alternative against its counterpart, round by round (the same moments of the machine's load).
  rungs.forEach((rung, i) => {
    const j = against(rung, i);
    if (!rung.versus || j < 0) return;
    const ratios = bursts[i]!.map((b, round) => b.cpu / bursts[j]![round]!.cpu);
    console.log(
      `${rung.name} / ${rung.versus}: CPU per lookup, median of the rounds' ratios ${median(ratios).toFixed(2)} ` +
        `(${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
    );
  });
  console.log(
    `${values.rounds} rounds of ${values.requests} lookups at ${values.connections} connections` +
      `${values.together ? " each, the rungs at once" : ""}; load ` +
      `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
  );
} finally {
  await admin.end();
  for (const side of sides) await stop(side.server);
}
