/**
 * Servers side by side measured in alternating bursts (ab.ts, layers.ts): each burst is a fixed number of requests,
 * its figure the server's CPU per request (probe.mjs) and the database backends' serving it. Rounds alternate the
 * order (A B C, then C B A: ABBA for two), so every server sees the same moments of a shared machine's load.
 */
import os from "node:os";
import autocannon from "autocannon";
import type pg from "pg";
import { readProbe, type Running, treeCpuMs } from "./processes.ts";
import type { HttpRequest } from "./scenarios.ts";

/** One server of the comparison and the request it is sent. */
export interface Side {
  name: string;
  server: Running;
  request: () => HttpRequest;
  /** The application_name of its PostgreSQL connections (PGAPPNAME): its backends' CPU is measured too. */
  app?: string;
}

export interface Burst {
  /** Server CPU µs per request. */
  cpu: number;
  /** CPU µs per request of the PostgreSQL backends named `app` (NaN without it). */
  database: number;
  /** The burst's 99th percentile latency, ms. */
  p99: number;
}

/**
 * CPU ms used so far by the PostgreSQL backends of connections named `app` to the admin client's database (same
 * machine: their /proc times). A backend gone between two reads takes its time with it; pools keep theirs while loaded.
 */
export async function databaseCpuMs(admin: pg.Client, app: string): Promise<Map<number, number>> {
  // Of this database only: another person's bench on the same server names its connections alike.
  const { rows } = await admin.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
    [app],
  );
  return new Map(await Promise.all(rows.map(async ({ pid }) => [pid, await treeCpuMs(pid)] as [number, number])));
}
export const spentSince = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0);

/** `amount` requests at `connections`; any non-2xx answer or socket error fails the run. */
export async function burst(side: Side, amount: number, connections: number, admin?: pg.Client): Promise<Burst> {
  const backends = admin && side.app ? () => databaseCpuMs(admin, side.app!) : undefined;
  await readProbe(side.server);
  const before = await backends?.();
  const result = await autocannon({
    url: side.server.url,
    connections,
    amount,
    requests: [{ setupRequest: (req) => ({ ...req, ...side.request() }) }],
  });
  const probe = await readProbe(side.server);
  const after = await backends?.();
  if (result.errors || result.non2xx)
    throw new Error(`${side.name}: ${result.errors} errors, ${result.non2xx} non-2xx`);
  const total = result.requests.total;
  return {
    cpu: (probe.cpuMs * 1000) / total,
    database: before && after ? (spentSince(before, after) * 1000) / total : Number.NaN,
    p99: result.latency.p99,
  };
}

export interface Alternated {
  /** Per side, one burst per round. */
  bursts: Burst[][];
  /** The machine's 1-minute load average after each round. */
  loads: number[];
}

/**
 * Warms every side up (JIT, pools, plans: 3,000 requests each, as pnpm bench does), then `rounds` alternating rounds.
 * `together`: each round's bursts run at once instead, every side with its own `connections`, so all of them share the
 * same moments of the machine's load rather than neighbouring ones (on a machine whose load swings within seconds,
 * the per-round ratios of bursts in turn spread by 0.4–2.5×).
 */
export async function alternate(
  sides: Side[],
  {
    rounds,
    requests,
    connections,
    admin,
    together = false,
  }: { rounds: number; requests: number; connections: number; admin?: pg.Client; together?: boolean },
): Promise<Alternated> {
  for (let i = 0; i < 3; i++) for (const side of sides) await burst(side, 1000, connections, admin);
  const bursts: Burst[][] = sides.map(() => []);
  const loads: number[] = [];
  const order = sides.map((_, i) => i);
  for (let round = 0; round < rounds; round++) {
    if (together) {
      const measured = await Promise.all(sides.map((side) => burst(side, requests, connections, admin)));
      measured.forEach((b, i) => bursts[i]!.push(b));
      loads.push(os.loadavg()[0]!);
      continue;
    }
    // Forward, then backward: neither side is always the one measured right after another.
    for (const i of round % 2 === 0 ? order : [...order].reverse())
      bursts[i]!.push(await burst(sides[i]!, requests, connections, admin));
    loads.push(os.loadavg()[0]!);
  }
  return { bursts, loads };
}

export const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
/** The middle value; of an even count, the mean of the two middle ones. */
export function median(xs: number[]): number {
  const sorted = [...xs].sort((p, q) => p - q);
  const half = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
}
