/**
 * Two service processes side by side on one seeded PostgreSQL database, measured in alternating bursts: CPU µs per
 * request of each (a batch scenario's request is its whole batch), and B's over A's. Run one after the other (cpu.ts), two servers see different moments of a shared
 * machine's load and their CPU per request drifts by ±20%; side by side, with bursts alternating (ABBA…), both see the
 * same moments and the ratio holds within a few percent.
 *
 *   node --conditions=@memory-mirror/source --import tsx bench/ab.ts [--only "one call per request"] \
 *     [--server-b /work/main/apps/server/dist/main.js] [--auth-b off] [--env-a|--env-b NAME=VALUE]… [--rounds 10]
 *
 * A and B are this tree's built server (dist/main.js) unless `--server-a` / `--server-b` name another built tree's (a
 * worktree of main: before against after; swap them in a second run, and run A against itself to see the noise). `--auth-b off` runs B with AUTH=off and the keyless lookup (the AUTH=off row of
 * run.ts): what keys cost. `--env-a` / `--env-b` set A's / B's environment apart (repeatable). Needs BENCH_DATABASE_URL
 * (a database cpu.ts seeded and kept: BENCH_KEEP=1), or `file:<dir>` for the embedded database (seeded by this
 * script when empty: `--rows`); one process owns an embedded directory, so B runs on a copy of A's.
 */
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseDatabaseUrl } from "@memory-mirror/db";
import { alternate, mean, median } from "./bursts.ts";
import { serviceEnv, startProcess, stop } from "./processes.ts";
import { authOffScenario, type Scenario, serviceScenarios } from "./scenarios.ts";
import { seed } from "./seed.ts";

const { values } = parseArgs({
  options: {
    only: { type: "string", default: "one call per request" },
    "server-a": { type: "string" },
    "server-b": { type: "string" },
    "auth-b": { type: "string", default: "required" },
    "env-a": { type: "string", multiple: true, default: [] },
    "env-b": { type: "string", multiple: true, default: [] },
    rounds: { type: "string", default: "10" },
    requests: { type: "string", default: "1000" },
    connections: { type: "string", default: "4" },
    rows: { type: "string", default: "10000" },
  },
});
const url = process.env.BENCH_DATABASE_URL;
if (!url) throw new Error("BENCH_DATABASE_URL: a database seeded by cpu.ts (BENCH_KEEP=1 keeps the one it makes)");
const authB = values["auth-b"];
if (authB !== "required" && authB !== "off") throw new Error("--auth-b is required or off");
const rounds = Number(values.rounds);
const requests = Number(values.requests);
const connections = Number(values.connections);

const embedded = parseDatabaseUrl(url);
if (embedded.kind === "embedded" && !embedded.dataDir) throw new Error("BENCH_DATABASE_URL: memory: cannot be shared");
// A new (absent or empty) embedded directory is seeded here; a PostgreSQL database is cpu.ts's.
const fresh =
  embedded.kind === "embedded" &&
  (await readdir(embedded.dataDir!).then(
    (entries) => entries.length === 0,
    () => true,
  ));
const seedRows = fresh ? Number(values.rows) : 0;
const context = { rows: Number(values.rows), apiKey: await seed(url, seedRows, `ab-${Date.now()}`), batch: 50 };
const wanted = (s: Scenario) => s.name.toLowerCase().includes(values.only.toLowerCase());
const scenarioA = serviceScenarios(context).find(wanted);
if (!scenarioA) throw new Error(`no scenario matches "${values.only}"`);
// AUTH=off answers the keyless lookup; keys are what it leaves out.
const scenarioB = authB === "off" ? authOffScenario(context) : scenarioA;

const env = serviceEnv(url);
const pairs = (option: "env-a" | "env-b") =>
  Object.fromEntries(
    values[option].map((pair) => {
      const at = pair.indexOf("=");
      if (at < 1) throw new Error(`--${option} ${pair}: NAME=VALUE`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
// B's copy of the embedded directory, made after the key so that both hold it.
const copy =
  embedded.kind === "embedded"
    ? await mkdtemp(path.join(os.tmpdir(), "mm-ab-")).then(async (dir) => {
        await cp(embedded.dataDir!, dir, { recursive: true });
        return dir;
      })
    : undefined;
const here = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const a = await startProcess(values["server-a"] ?? here, { ...env, AUTH: "required", ...pairs("env-a") }, "/readyz");
const b = await startProcess(
  values["server-b"] ?? here,
  { ...env, ...(copy ? { DATABASE_URL: `file:${copy}` } : {}), AUTH: authB, ...pairs("env-b") },
  "/readyz",
).catch(async (error: unknown) => {
  await stop(a);
  throw error;
});

try {
  const { bursts, loads } = await alternate(
    [
      { name: "A", server: a, request: () => scenarioA.request() },
      { name: "B", server: b, request: () => scenarioB.request() },
    ],
    { rounds, requests, connections },
  );
  const [cpuA, cpuB] = bursts.map((side) => side.map((each) => each.cpu)) as [number[], number[]];
  const µs = (xs: number[]) => xs.map((x) => x.toFixed(0).padStart(5)).join("");
  const from = (server: string | undefined, env: string[]) =>
    (server ? ` (${server})` : "") + env.map((pair) => ` ${pair}`).join("");
  console.log(
    `A ${scenarioA.name}${from(values["server-a"], values["env-a"])}\n` +
      `B ${scenarioB.name}${from(values["server-b"], values["env-b"])}`,
  );
  console.log(`A µs/request ${µs(cpuA)}\nB µs/request ${µs(cpuB)}`);
  console.log(
    `A mean ${mean(cpuA).toFixed(0)} µs, B mean ${mean(cpuB).toFixed(0)} µs: B/A ${(mean(cpuB) / mean(cpuA)).toFixed(3)}, ` +
      `per round median ${median(cpuB.map((x, i) => x / cpuA[i]!)).toFixed(3)}; load ${Math.min(...loads).toFixed(1)}–` +
      `${Math.max(...loads).toFixed(1)}`,
  );
} finally {
  await stop(a);
  await stop(b);
  if (copy) await rm(copy, { recursive: true, force: true });
}
