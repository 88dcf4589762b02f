/**
 * Reads on streaming replicas (DATABASE_REPLICA_URLS), with read-your-writes by WAL position.
 *
 * Why not @prisma/extension-read-replicas: it picks a replica at random for Prisma's model queries only (raw queries,
 * which every search here is, stay on the primary unless routed by hand), and knows nothing of health, lag or of
 * which writes a replica has replayed. What is needed is small: one PrismaClient per replica, chosen per read.
 *
 * - Every write records the primary's WAL insert position afterwards, under a key (the space it wrote to); a read
 *   for that key goes to a replica only once the replica's replay position has reached it, else to the primary.
 * - A check every REPLICA_CHECK_INTERVAL_MS reads each replica's replay position and the primary's WAL position;
 *   a replica that does not answer, is not a standby, or lags more than REPLICA_MAX_LAG_MS serves no reads until a
 *   later check finds it well again.
 * - A read that fails on a replica runs again on the primary: a replica outage costs time, never an error.
 */
import { PrismaPg } from "@prisma/adapter-pg";
import type { ReplicaConfig } from "./config.ts";
import { withDriverQueries } from "./driver-queries.ts";
import { statementName } from "./prepared-statements.ts";
import { databaseErrorKind } from "./errors.ts";
import { PrismaClient } from "./generated/prisma/client.ts";
import { openPostgres, type PostgresDriver } from "./postgres.ts";

/**
 * - `starting`: not checked yet; `up`: serves reads; `lagging`: further behind than REPLICA_MAX_LAG_MS;
 * - `down`: did not answer (or failed a read); `not_standby`: answers but is not in recovery (promoted, or a
 *   primary listed by mistake), so how much of the primary's data it has cannot be known.
 */
export type ReplicaState = "starting" | "up" | "lagging" | "down" | "not_standby";

export interface ReplicaStatus {
  /** host:port/database: never credentials. */
  name: string;
  state: ReplicaState;
  /** How long the replica has been missing a write the primary had, in ms (0 when it has them all); null if unknown. */
  lagMs: number | null;
  /** The last WAL position it replayed (pg_lsn text), null if unknown. */
  replayLsn: string | null;
  /** Reads it answered since start. */
  reads: number;
  /** Reads it failed (each answered again by the primary). */
  failures: number;
}

export interface ReadRoutingStatus {
  /** Reads the primary answered: no replica was fit, the caller asked for it, or a replica failed. */
  primaryReads: number;
  replicas: ReplicaStatus[];
}

export interface ReadOptions {
  /** The caller asked for the primary (fresh data whoever wrote it). */
  primary?: boolean;
  /** True when a failure is the operation's answer (not found, bad input), not the replica's fault: no retry. */
  isAnswer?: (error: unknown) => boolean;
}

export interface ReadRouting {
  /**
   * Runs a read-only operation on a healthy replica that has replayed every write recorded for `key`, or else on the
   * primary. When the replica fails, the operation runs again on the primary (unless `isAnswer(error)`).
   */
  read<T>(key: string, run: (client: PrismaClient) => Promise<T>, options?: ReadOptions): Promise<T>;
  /** After a write for `key` (committed or not): that key's reads wait for a replica to replay this far. */
  wrote(key: string): Promise<void>;
  /** A write's position learned from another server process (WORKERS): that key's reads wait for it here too. */
  heard(key: string, lsn: string): void;
  status(): ReadRoutingStatus;
  close(): Promise<void>;
}

export interface ReplicaEvents {
  /** A replica changed state (for logs). `error` is why, when it went down. */
  onReplicaState?: (status: ReplicaStatus, previous: ReplicaState, error?: unknown) => void;
  /**
   * A write's position, for the other server processes (WORKERS) to learn (see heard); the write answers once this
   * resolves, so a read sent after the answer to any process waits for the write.
   */
  onWrote?: (key: string, lsn: string) => Promise<void>;
}

/** Every read on the primary: what a database without replicas does. */
export function primaryOnly(prisma: PrismaClient): ReadRouting {
  let primaryReads = 0;
  return {
    read: (_key, run) => {
      primaryReads++;
      return run(prisma);
    },
    wrote: async () => {},
    heard: () => {},
    status: () => ({ primaryReads, replicas: [] }),
    close: async () => {},
  };
}

/** A WAL position ("16/B374D848") as a number. */
function parseLsn(text: string): bigint {
  const [high, low] = text.split("/");
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

/** host:port/database of a URL, for status pages and logs. */
function replicaName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.host}${parsed.pathname === "/" ? "" : parsed.pathname}`;
}

/** Keys remembered at most; beyond, the oldest are folded into one position every read must wait for. */
const MAX_KEYS = 100_000;
/** Least time between two questions to a replica about its replay position outside the checks. */
const CATCH_UP_MS = 10;

interface Replica {
  readonly status: ReplicaStatus;
  readonly driver: PostgresDriver;
  readonly prisma: PrismaClient;
  /** Replay position as a number, once known. */
  replayed: bigint | undefined;
  /** When its replay position was last asked for between checks (see catchUp). */
  askedAt: number;
  asking: boolean;
}

/** A primary WAL position and when it was read: a replica behind it has been missing writes at least since then. */
interface Sample {
  at: number;
  lsn: bigint;
}

export interface ReplicaRoutingOptions extends ReplicaEvents {
  primary: PrismaClient;
  /** One query on the primary (bounded by DATABASE_TIMEOUT_MS). */
  primaryQuery: <Row>(sql: string) => Promise<Row[]>;
  replicas: ReplicaConfig;
  poolSize: number;
  timeoutMs: number;
  cancelOnHangUp?: boolean;
}

export function replicaRouting(options: ReplicaRoutingOptions): ReadRouting {
  const { primary, primaryQuery, replicas: config } = options;
  const replicas: Replica[] = config.urls.map((url) => {
    const driver = openPostgres({
      kind: "postgres",
      url,
      poolSize: options.poolSize,
      timeoutMs: options.timeoutMs,
      cancelOnHangUp: options.cancelOnHangUp,
    });
    const adapter = new PrismaPg(driver.pool, { statementNameGenerator: statementName });
    return {
      status: { name: replicaName(url), state: "starting", lagMs: null, replayLsn: null, reads: 0, failures: 0 },
      driver,
      prisma: withDriverQueries(new PrismaClient({ adapter, errorFormat: "minimal" }), adapter),
      replayed: undefined,
      askedAt: 0,
      asking: false,
    };
  });
  let primaryReads = 0;
  let next = 0;

  // The WAL position each key's last write reached (Map order = order of writes), and the position every key must
  // wait for once forgotten keys were folded in.
  const written = new Map<string, bigint>();
  let floor = 0n;
  // Until the primary's position is first read, nothing is known of writes made before this process started (by a
  // process it replaced, say): no replica reads until then, and from then on not below that position.
  let started = false;
  // Writes whose position could not be read (the primary failed right after): the first sample taken after them.
  const unknown = new Map<string, number>();

  const samples: Sample[] = [];
  // Enough history to measure any lag up to the limit (and a little beyond, to tell how far beyond).
  const keepMs = 2 * config.maxLagMs + 10 * config.checkIntervalMs;

  function setState(replica: Replica, state: ReplicaState, error?: unknown): void {
    const previous = replica.status.state;
    replica.status.state = state;
    if (previous !== state) options.onReplicaState?.({ ...replica.status }, previous, error);
  }

  function required(key: string): bigint | undefined {
    if (!started || unknown.has(key)) return undefined; // no replica is known to have it
    const lsn = written.get(key);
    return lsn === undefined || lsn < floor ? floor : lsn;
  }

  function choose(key: string): Replica | undefined {
    const needed = required(key);
    if (needed === undefined) return undefined;
    for (let i = 0; i < replicas.length; i++) {
      const replica = replicas[(next + i) % replicas.length]!;
      if (replica.status.state !== "up" || replica.replayed === undefined) continue;
      if (replica.replayed >= needed) {
        next = (next + i + 1) % replicas.length;
        return replica;
      }
      catchUp(replica);
    }
    return undefined;
  }

  /**
   * A read found the replica behind its key's last write, as its last check saw it: ask where it is now (at most
   * every CATCH_UP_MS), so that a space written to often need not wait for the next check to read from replicas
   * again. The read that asked goes to the primary; later ones use the answer.
   */
  function catchUp(replica: Replica): void {
    const now = performance.now();
    if (replica.asking || now - replica.askedAt < CATCH_UP_MS) return;
    replica.asking = true;
    replica.askedAt = now;
    replica.driver
      .query<{ lsn: string | null }>("SELECT pg_last_wal_replay_lsn()::text AS lsn")
      .then(([row]) => {
        if (!row?.lsn || replica.status.state !== "up") return;
        const lsn = parseLsn(row.lsn);
        if (replica.replayed === undefined || lsn > replica.replayed) {
          replica.replayed = lsn;
          replica.status.replayLsn = row.lsn;
        }
      })
      // Failures are the checks' business.
      .catch(() => {})
      .finally(() => (replica.asking = false));
  }

  function remember(key: string, lsn: bigint): void {
    unknown.delete(key);
    written.delete(key);
    written.set(key, lsn);
    while (written.size > MAX_KEYS) {
      const [oldest, position] = written.entries().next().value as [string, bigint];
      written.delete(oldest);
      if (position > floor) floor = position;
    }
  }

  function lagOf(replayed: bigint, now: number): number {
    const behind = samples.find((sample) => sample.lsn > replayed);
    return behind ? now - behind.at : 0;
  }

  async function checkReplica(replica: Replica): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = Math.max(config.checkIntervalMs, 1000);
    try {
      const query = replica.driver.query<{ standby: boolean; lsn: string | null }>(
        "SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS lsn",
      );
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${limit} ms`)), limit);
      });
      query.catch(() => {}); // a late failure after the timeout has nobody to tell
      const [row] = await Promise.race([query, timeout]);
      if (!row?.standby || row.lsn === null) {
        replica.replayed = undefined;
        replica.status.replayLsn = null;
        replica.status.lagMs = null;
        setState(replica, "not_standby");
        return;
      }
      replica.replayed = parseLsn(row.lsn);
      replica.status.replayLsn = row.lsn;
      replica.status.lagMs = lagOf(replica.replayed, Date.now());
      setState(replica, replica.status.lagMs > config.maxLagMs ? "lagging" : "up");
    } catch (error) {
      replica.status.lagMs = null;
      setState(replica, "down", error);
    } finally {
      clearTimeout(timer);
    }
  }

  async function check(): Promise<void> {
    const startedAt = Date.now();
    try {
      const [row] = await primaryQuery<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
      if (row) {
        const lsn = parseLsn(row.lsn);
        samples.push({ at: startedAt, lsn });
        if (!started && lsn > floor) floor = lsn;
        started = true;
      }
    } catch {
      // The primary's own failures show in every write and in /readyz; replicas are still checked.
    }
    while (samples.length > 1 && samples[0]!.at < startedAt - keepMs) samples.shift();
    // Writes whose position was unknown happened before this sample: it is a position that includes them.
    const latest = samples.at(-1);
    if (latest && latest.at >= startedAt) {
      for (const [key, at] of unknown) if (at <= startedAt) remember(key, latest.lsn);
    }
    await Promise.all(replicas.map(checkReplica));
    // Forget positions every replica has replayed (a replica that is down may come back further behind: keep those).
    let least: bigint | undefined;
    for (const replica of replicas) {
      if (replica.replayed === undefined) return;
      if (least === undefined || replica.replayed < least) least = replica.replayed;
    }
    if (least === undefined) return;
    for (const [key, lsn] of written) if (lsn <= least) written.delete(key);
  }

  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = check();
  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => {
      running = check().finally(schedule);
    }, config.checkIntervalMs);
    timer.unref();
  };
  void running.finally(schedule);

  return {
    async read(key, run, { primary: wantsPrimary = false, isAnswer } = {}) {
      const replica = wantsPrimary ? undefined : choose(key);
      if (!replica) {
        primaryReads++;
        return run(primary);
      }
      try {
        const result = await run(replica.prisma);
        replica.status.reads++;
        return result;
      } catch (error) {
        if (isAnswer?.(error)) {
          replica.status.reads++;
          throw error;
        }
        replica.status.failures++;
        // Connection trouble: no more reads until a check finds it well. Anything else (a query cancelled by a
        // recovery conflict, a migration not replayed yet) concerns this read only.
        if (databaseErrorKind(error) === "unavailable") setState(replica, "down", error);
        primaryReads++;
        return run(primary);
      }
    },
    async wrote(key) {
      if (closed) return;
      const at = Date.now();
      try {
        // The insert position covers the write's commit record whatever synchronous_commit says.
        const [row] = await primaryQuery<{ lsn: string }>("SELECT pg_current_wal_insert_lsn()::text AS lsn");
        if (row) {
          remember(key, parseLsn(row.lsn));
          return await options.onWrote?.(key, row.lsn);
        }
      } catch {
        // Below: the key waits for the next position a check reads.
      }
      unknown.set(key, at);
    },
    heard(key, lsn) {
      const position = parseLsn(lsn);
      const known = written.get(key);
      if (known === undefined || position > known) remember(key, position);
    },
    status: () => ({ primaryReads, replicas: replicas.map((replica) => ({ ...replica.status })) }),
    async close() {
      closed = true;
      clearTimeout(timer);
      await running.catch(() => {});
      await Promise.all(replicas.map((replica) => replica.prisma.$disconnect().finally(() => replica.driver.close())));
    },
  };
}
