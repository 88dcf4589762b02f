/**
 * CI's regression check on a `pnpm bench --quick` run (bench/results/latest.json): fails when the service's server
 * CPU per request, as a multiple of its hand-written baseline's in the same run, passes CEILING on any PostgreSQL
 * row. CPU per request is what a shared, loaded machine moves least (rates and latencies swung 5–10× between
 * identical runs); the ratio of two servers measured side by side cancels most of what is left. The ceiling is
 * generous (docs/performance.md, "The CI check"): quick runs measured 4–24×, so it catches a change that multiplies
 * the work of a request (a query per item, a stack captured per call, a log write per line made synchronous), not a
 * few percent. Skipped, with a message, when the machine was busier than LOAD_PER_CPU during the run.
 *
 *   node --conditions=@memory-mirror/source --import tsx bench/check.ts [path/to/latest.json]
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** The most server CPU per request a service row may take, as a multiple of its baseline's. */
export const CEILING = 60;
/**
 * Above this 1-minute load average per core (at the end of the run) the figures say little: no verdict. Ratios
 * stayed within 4–20× at 10 per core on the team's 2-core machine; past 15 the other processes' share is guesswork.
 */
export const LOAD_PER_CPU = 15;

export interface Row {
  name: string;
  baseline?: string;
  /** Units per HTTP request (runs before it was recorded: 1). */
  perRequest?: number;
  ratioToBaseline: number | null;
  profile: { cpuMsPerRequest: number };
}
export interface Run {
  machine: { cpus: number; load: number[] };
  params: { quick: boolean };
  results: Row[];
}

/** Each compared row's CPU ratio (service / its paired baseline), and the rows past the ceiling. */
export function cpuRatios(run: Run): { name: string; ratio: number }[] {
  const ratios: { name: string; ratio: number }[] = [];
  run.results.forEach((row, i) => {
    // The embedded rows' CPU includes the database itself; replica rows compare with a service row.
    if (!row.baseline || row.name.includes("[")) return;
    // A row's baseline is the nearest row of that name above it (measured just before it).
    const base = run.results
      .slice(0, i)
      .reverse()
      .find((r) => r.name === row.baseline);
    if (!base || !(base.profile.cpuMsPerRequest > 0)) return;
    // Per unit: 100 lookups in one request compare with 100 single-lookup requests of the baseline.
    const perUnit = (r: Row) => r.profile.cpuMsPerRequest / (r.perRequest ?? 1);
    ratios.push({ name: row.name, ratio: perUnit(row) / perUnit(base) });
  });
  return ratios;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? fileURLToPath(new URL("../../../bench/results/latest.json", import.meta.url));
  const run = JSON.parse(await readFile(file, "utf8")) as Run;
  const load = run.machine.load[0]! / run.machine.cpus;
  const ratios = cpuRatios(run);
  for (const { name, ratio } of ratios) console.log(`${ratio.toFixed(1).padStart(6)}×  ${name}`);
  if (ratios.length === 0) {
    console.error(`bench check: no service row with a baseline in ${file}`);
    process.exit(1);
  }
  if (load > LOAD_PER_CPU) {
    console.log(
      `bench check skipped: load average ${run.machine.load[0]!.toFixed(1)} on ${run.machine.cpus} cores is past ` +
        `${LOAD_PER_CPU} per core, where CPU per request says little`,
    );
    process.exit(0);
  }
  const over = ratios.filter((r) => r.ratio > CEILING);
  if (over.length > 0) {
    console.error(`bench check: server CPU per request past ${CEILING}× its baseline's:`);
    for (const { name, ratio } of over) console.error(`  ${name}: ${ratio.toFixed(1)}×`);
    process.exit(1);
  }
  console.log(`bench check: every row within ${CEILING}× its baseline's server CPU per request`);
}
