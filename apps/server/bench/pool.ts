/**
 * What the service's pool adds per statement (openPostgres: one bound on the connection wait and the answer
 * together, busy against unreachable) over a plain pg.Pool of the same options, in one process: bursts of statements
 * at 4 at once, alternating between the two (order reversed every round), the process's CPU µs per statement. The
 * HTTP ladder (layers.ts) measures this layer too, but its share there (a few percent) is below its noise.
 *
 *   BENCH_DATABASE_URL=… node --conditions=@memory-mirror/source --import tsx bench/pool.ts [--rounds 20] [--statements 5000]
 *
 * To compare two versions of postgres.ts, copy the other beside it and add it to `pools` (both then share one `pg`).
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { loadDatabaseConfig } from "@memory-mirror/db";
import { openPostgres, poolOptions } from "@memory-mirror/db/bench";
import pg from "pg";
import { LOOKUP } from "@memory-mirror/api/bench";
import { median } from "./bursts.ts";
import { SPACE, videoIdOf } from "./seed.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "20" },
    statements: { type: "string", default: "5000" },
    rows: { type: "string", default: "10000" },
  },
});
const url = process.env.BENCH_DATABASE_URL;
if (!url) throw new Error("BENCH_DATABASE_URL: a database seeded by cpu.ts (BENCH_KEEP=1 keeps the one it makes)");
const config = loadDatabaseConfig({ DATABASE_URL: url, DATABASE_POOL_SIZE: "16" });
if (config.kind !== "postgres") throw new Error("BENCH_DATABASE_URL must be a PostgreSQL URL");
const statements = Number(values.statements);
const rows = Number(values.rows);

// A dropped idle connection must not end a long run (the service pool has its own listener).
const plain = new pg.Pool(poolOptions(config)).on("error", () => {});
const pools: Record<string, pg.Pool> = { plain, service: openPostgres(config).pool };
const names = Object.keys(pools);

/** CPU µs per statement of `statements` lookups, 4 at once, rows as arrays (as @prisma/adapter-pg asks). */
async function burst(pool: pg.Pool): Promise<number> {
  let sent = 0;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (sent++ < statements) {
        const videoId = videoIdOf(Math.floor(Math.random() * rows));
        await pool.query({ text: LOOKUP, values: [SPACE, [videoId]], rowMode: "array" });
      }
    }),
  );
  const spent = process.cpuUsage(before);
  return (spent.user + spent.system) / statements;
}

try {
  for (const name of names) await burst(pools[name]!); // JIT warm-up
  const µs: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  const loads: number[] = [];
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const name of round % 2 ? [...names].reverse() : names) µs[name]!.push(await burst(pools[name]!));
    loads.push(loadavg()[0]!);
  }
  for (const name of names) {
    const ratios = µs[name]!.map((x, round) => x / µs.plain![round]!);
    console.log(
      `${name.padEnd(8)} ${median(µs[name]!).toFixed(1).padStart(6)} µs/statement  ×plain ${median(ratios).toFixed(3)} ` +
        `(rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
    );
  }
  const extra = µs.service!.map((x, round) => x - µs.plain![round]!);
  console.log(
    `service − plain per round: ${extra.map((x) => x.toFixed(1)).join(" ")} µs; median ${median(extra).toFixed(1)}; ` +
      `load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
  );
} finally {
  for (const pool of Object.values(pools)) await pool.end();
}
