/**
 * Resident memory of a server under load, and where it lies: the built server on a seeded database, warmed up,
 * then one scenario for a few seconds while its RSS, smaps (smaps.ts) and V8 heap spaces (probe.mjs) are sampled.
 * Each variant (node flags, NAME=value environment variables) in turn, round after round.
 *
 *   node --conditions=@memory-mirror/source --import tsx bench/load-memory.ts [--runs 2] [--database postgres]
 *     [--scenario "one call per request"] [--seconds 8] [--variant=""] [--variant="--max-semi-space-size=8"] …
 */
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { createTestDatabase } from "@memory-mirror/db/testing";
import { type Running, readHeap, readMemory, readProbe, rssMb, startProcess, stop } from "./processes.ts";
import { serviceScenarios } from "./scenarios.ts";
import { seed } from "./seed.ts";
import { whereResident } from "./smaps.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "2" },
    rows: { type: "string", default: "10000" },
    database: { type: "string", default: "postgres" },
    scenario: { type: "string", default: "one call per request" },
    seconds: { type: "string", default: "8" },
    connections: { type: "string", default: "64" },
    /** Requests sent before measuring (JIT, pools, plans). */
    warm: { type: "string", default: "3000" },
    variant: { type: "string", multiple: true },
  },
});
const variants = values.variant ?? [""];
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
let url: string;
let drop = async () => {};
if (values.database === "postgres") {
  const database = await createTestDatabase("postgres");
  url = database.url;
  drop = () => database.drop();
} else url = `file:${await mkdtemp(path.join(os.tmpdir(), "mm-load-memory-"))}`;

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const kbToMb = (kb: number) => Math.round(kb / 1024);
async function snapshot(server: Running) {
  const [rss, parts, heap] = await Promise.all([
    rssMb(server.child.pid),
    whereResident(server.child.pid!),
    readHeap(server),
  ]);
  return { rss, parts, heap };
}
const show = (s: Awaited<ReturnType<typeof snapshot>>) =>
  `${s.rss.toFixed(0)} MB; ` +
  Object.entries(s.parts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, kb]) => `${k} ${kbToMb(kb)}`)
    .join(", ") +
  `; V8 committed: ` +
  Object.entries(s.heap.spaces)
    .filter(([, v]) => v.committed > 512 * 1024)
    .map(([k, v]) => `${k.replace("_space", "")} ${mb(v.committed)}/${mb(v.used)}`)
    .join(", ") +
  `; external ${mb(s.heap.external)}, arrayBuffers ${mb(s.heap.arrayBuffers)}`;

try {
  const apiKey = await seed(url, Number(values.rows), `load-${Date.now()}`);
  const scenario = serviceScenarios({ rows: Number(values.rows), apiKey, batch: 50 }).find((s) =>
    s.name.includes(values.scenario),
  );
  if (!scenario) throw new Error(`no scenario named like ${JSON.stringify(values.scenario)} (bench/scenarios.ts)`);
  for (let run = 0; run < Number(values.runs); run++) {
    for (const variant of variants) {
      const tokens = variant.split(" ").filter(Boolean);
      const env = Object.fromEntries(
        tokens
          .filter((t) => !t.startsWith("--"))
          .map((t): [string, string] => {
            const [name = t, value = ""] = t.split(/=(.*)/s, 2);
            return [name, value];
          }),
      );
      const flags = tokens.filter((t) => t.startsWith("--"));
      const server = await startProcess(
        here("../dist/main.js"),
        {
          DATABASE_URL: url,
          DATABASE_POOL_SIZE: "16",
          AUTH: "required",
          RATE_LIMIT_PER_MINUTE: "100000000",
          LOG_LEVEL: "info",
          ...env,
        },
        "/readyz",
        flags,
      );
      try {
        const idle = await snapshot(server);
        const connections = scenario.connections ?? Number(values.connections);
        const req = [{ setupRequest: (r: object) => ({ ...r, ...scenario.request() }) }];
        for (let sent = 0; sent < Number(values.warm); sent += 250)
          await autocannon({ url: server.url, connections: Math.min(connections, 250), amount: 250, requests: req });
        const warm = await snapshot(server);
        await readProbe(server);
        let peak = warm;
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            const s = await snapshot(server);
            if (s.rss > peak.rss) peak = s;
            await new Promise((r) => setTimeout(r, 250));
          }
        })();
        const result = await autocannon({
          url: server.url,
          connections,
          duration: Number(values.seconds),
          requests: req,
        });
        sampling = false;
        await sampler;
        const probe = await readProbe(server);
        const after = await snapshot(server);
        console.log(
          `\n### ${JSON.stringify(variant)} run ${run + 1} (load ${os.loadavg()[0]!.toFixed(1)}): ` +
            `${Math.round(result.requests.average)}/s, p99 ${result.latency.p99} ms, ${result.non2xx} non-2xx, ` +
            `CPU ${(probe.cpuMs / result.requests.total).toFixed(3)} ms/req, GC ${((probe.gc.totalMs / probe.elapsedMs) * 100).toFixed(1)}% max ${probe.gc.maxMs.toFixed(1)} ms`,
        );
        if (flags.includes("--expose-gc")) {
          const live = await readMemory(server);
          console.log(
            `live after a full GC: heap ${mb(live.heapUsed)} MB, external ${mb(live.external)} MB, rss ${mb(live.rss)} MB`,
          );
        }
        console.log(`idle:  ${show(idle)}`);
        console.log(`warm:  ${show(warm)}`);
        console.log(`peak:  ${show(peak)}`);
        console.log(`after: ${show(after)}`);
      } finally {
        await stop(server);
      }
    }
  }
} finally {
  await drop();
}
