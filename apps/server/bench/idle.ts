/**
 * Resident memory of an idle server: the built server started on a seeded database (the embedded one reopened),
 * /readyz, one lookup, 40 s of rest (--settle, in ms), then its RSS and where it lies (/proc/<pid>/smaps). Each
 * variant (node flags and environment variables) is started in turn, round after round, so variants see the same
 * machine.
 *
 *   node --conditions=@memory-mirror/source --import tsx bench/idle.ts [--runs 3] [--database embedded|postgres]
 *     [--variant="--max-semi-space-size=32"] [--variant="MALLOC_ARENA_MAX=1 --v8-pool-size=1"] …
 *
 * A variant is a list of node flags (`--…`) and `NAME=value` environment variables; "" is node's defaults.
 * BENCH_DATABASE_URL (an empty PostgreSQL database) and BENCH_DATA_DIR (an empty directory) say where to seed; by
 * default a fresh database (dropped after) and a temporary directory.
 */
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createTestDatabase } from "@memory-mirror/db/testing";
import { startProcess, stop } from "./processes.ts";
import { whereResident } from "./smaps.ts";
import { seed, videoIdOf } from "./seed.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    rows: { type: "string", default: "10000" },
    database: { type: "string" },
    variant: { type: "string", multiple: true },
    // Long enough for the server's full collection at rest (config.ts's defaults): 36 s after the last request.
    settle: { type: "string", default: "40000" },
  },
});
const runs = Number(values.runs);
const rows = Number(values.rows);
const variants = values.variant ?? ["--max-semi-space-size=32", ""];
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const kinds = values.database ? [values.database] : ["embedded", "postgres"];
const urls: Record<string, string> = {};
const keys: Record<string, string> = {};
const drops: (() => Promise<void>)[] = [];
const cleanup = async () => {
  for (const drop of drops) await drop();
};
try {
  for (const kind of kinds) {
    if (kind === "postgres" && process.env.BENCH_DATABASE_URL) urls[kind] = process.env.BENCH_DATABASE_URL;
    else if (kind === "postgres") {
      const database = await createTestDatabase("postgres");
      drops.push(() => database.drop());
      urls[kind] = database.url;
    } else urls[kind] = `file:${process.env.BENCH_DATA_DIR ?? (await mkdtemp(path.join(os.tmpdir(), "mm-idle-")))}`;
    keys[kind] = await seed(urls[kind], rows, "idle");
  }
} catch (error) {
  await cleanup();
  throw error;
}

const table: { kind: string; variant: string; mb: number[]; parts: Record<string, number>[] }[] = [];
try {
  for (let run = 0; run < runs; run++) {
    for (const kind of kinds) {
      for (const variant of variants) {
        const tokens = variant.split(" ").filter(Boolean);
        const env = Object.fromEntries(
          tokens
            .filter((t) => !t.startsWith("--"))
            .map((t) => [t.slice(0, t.indexOf("=")), t.slice(t.indexOf("=") + 1)]),
        );
        const flags = tokens.filter((t) => t.startsWith("--"));
        const server = await startProcess(
          here("../dist/main.js"),
          { DATABASE_URL: urls[kind]!, AUTH: "required", LOG_LEVEL: "warn", ...env },
          "/readyz",
          flags,
          { probe: false },
        );
        try {
          const answer = await fetch(`${server.url}/api/video-analysis/${videoIdOf(1)}`, {
            headers: { authorization: `Bearer ${keys[kind]}` },
          });
          if (!answer.ok) throw new Error(`lookup answered ${answer.status}`);
          await new Promise((r) => setTimeout(r, Number(values.settle)));
          const status = await readFile(`/proc/${server.child.pid}/status`, "utf8");
          const mb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) / 1024;
          const parts = await whereResident(server.child.pid!);
          let row = table.find((r) => r.kind === kind && r.variant === variant);
          if (!row) table.push((row = { kind, variant, mb: [], parts: [] }));
          row.mb.push(mb);
          row.parts.push(parts);
          console.error(
            `${kind} ${JSON.stringify(variant)}: ${mb.toFixed(0)} MB (load ${os.loadavg()[0]!.toFixed(1)})`,
          );
        } finally {
          await stop(server);
        }
      }
    }
  }
} finally {
  await cleanup();
}

const range = (xs: number[]) => {
  const lo = Math.min(...xs).toFixed(0);
  const hi = Math.max(...xs).toFixed(0);
  return lo === hi ? lo : `${lo}–${hi}`;
};
console.log(
  `load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}, ${runs} runs, ${new Date().toISOString()}`,
);
console.log("| database | variant | idle RSS, MB | where (median run, MB) |");
console.log("|---|---|---|---|");
for (const row of table) {
  const median = row.parts[row.mb.indexOf([...row.mb].sort((a, b) => a - b)[Math.floor(row.mb.length / 2)]!)]!;
  const where = Object.entries(median)
    .sort((a, b) => b[1] - a[1])
    .map(([k, kb]) => `${k} ${(kb / 1024).toFixed(0)}`)
    .join(", ");
  console.log(`| ${row.kind} | \`${row.variant || "(node defaults)"}\` | ${range(row.mb)} | ${where} |`);
}
