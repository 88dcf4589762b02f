/**
 * The replica scenarios of `pnpm bench`: the same requests on a server with one hot standby in
 * DATABASE_REPLICA_URLS, and which server answered the reads. Needs the standby `pnpm db:standby` starts; without
 * it they are skipped with a message (MM_REQUIRE_REPLICA=1 fails instead). Here the standby shares the machine's
 * cores with the primary, so the rates say what routing costs, not what a replica on its own machine adds.
 */
import type { Running } from "./processes.ts";
import type { Scenario, ScenarioContext } from "./scenarios.ts";
import { serviceScenarios } from "./scenarios.ts";

/** Each server's reads (from /readyz) since the previous call, as shares of them all. */
export interface ReadShares {
  reads: number;
  share: Record<string, number>;
}

interface ReadsReport {
  primary: { reads: number };
  replicas: { name: string; reads: number; state: string }[];
}

async function readCounts(server: Running): Promise<Map<string, number>> {
  const body = (await (await fetch(`${server.url}/readyz`)).json()) as { reads?: ReadsReport };
  if (!body.reads) throw new Error("the server reports no replicas (is DATABASE_REPLICA_URLS set?)");
  return new Map([
    ["primary", body.reads.primary.reads],
    ...body.reads.replicas.map((r): [string, number] => [`replica ${r.name}`, r.reads]),
  ]);
}

/** Waits until the standby serves reads (its first check, and the seed's writes replayed). */
export async function untilReplicaUp(server: Running, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await fetch(`${server.url}/readyz`)).json()) as { reads?: ReadsReport };
    if (body.reads?.replicas.every((r) => r.state === "up")) return;
    if (Date.now() > deadline) throw new Error(`the replica is not up: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs `measure` and reports who answered the reads it caused. */
export async function withReadShares<T>(server: Running, measure: () => Promise<T>): Promise<[T, ReadShares]> {
  const before = await readCounts(server);
  const result = await measure();
  const after = await readCounts(server);
  const delta = [...after].map(([name, n]): [string, number] => [name, n - (before.get(name) ?? 0)]);
  const reads = delta.reduce((sum, [, n]) => sum + n, 0);
  const share = Object.fromEntries(delta.map(([name, n]) => [name, reads ? Math.round((n / reads) * 1000) / 1000 : 0]));
  return [result, { reads, share }];
}

const WRITE_EVERY = 20;

/**
 * Read-only scenarios as on the primary-only server (their rates compare with those rows), and a mix with writes
 * in the same space: after each write the space's reads go to the primary until the standby has replayed it.
 */
export function replicaScenarios(context: ScenarioContext): Scenario[] {
  const service = serviceScenarios(context);
  const byName = (start: string) => {
    const scenario = service.find((s) => s.name.startsWith(start));
    if (!scenario) throw new Error(`no service scenario named "${start}…"`);
    return scenario;
  };
  const lookup = byName("tRPC byVideoId, one call per request");
  const create = byName("tRPC create");
  let calls = 0;
  return [
    lookup,
    byName("tRPC search, hybrid"),
    byName("tRPC context"),
    {
      name: `1 tRPC create per ${WRITE_EVERY - 1} byVideoId, one space`,
      unit: "calls/s",
      perRequest: 1,
      request: () => (++calls % WRITE_EVERY === 0 ? create.request() : lookup.request()),
    },
  ];
}
