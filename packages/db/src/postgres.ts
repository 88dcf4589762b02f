/**
 * The node-postgres pool behind Prisma, bounded in time: with the driver's defaults a database that accepts
 * connections but never answers holds every call (and shutdown) for as long as it stalls.
 */
import net from "node:net";
import pg from "pg";
import type { DatabaseConfig } from "./config.ts";
import { cancelBackend } from "./cancel-backend.ts";
import { DatabaseBusyError, DatabaseTimeoutError, StatementCancelledError } from "./errors.ts";
import type { SqlTransaction, Transactor } from "./migrate.ts";
import { startupOptions } from "./session-settings.ts";
import { takeStatementSignal } from "./statement-signal.ts";

type PostgresConfig = Extract<DatabaseConfig, { kind: "postgres" }>;

/**
 * The server's bound on a statement: DATABASE_TIMEOUT_MS less a tenth (at most a second). A statement that runs too
 * long is then stopped by the server, whose error says why (57014, "timed_out": a search answers that it was stopped)
 * and leaves the connection usable, before this client stops waiting for its answer (query_timeout, which reads as
 * the database being unreachable). The margin covers the round trip and an event loop busy for a moment; a statement
 * that first waited longer than the margin for a connection (a saturated pool) is still cut by the client first, and
 * says so (DatabaseBusyError, "busy").
 */
const statementTimeoutMs = (timeoutMs: number): number => timeoutMs - Math.min(1000, Math.round(timeoutMs / 10));

/** pg settings derived from DATABASE_TIMEOUT_MS; exported for tests and for operators reading the code. */
export function poolOptions(config: PostgresConfig): pg.PoolConfig {
  const t = config.timeoutMs;
  return {
    ...withSessionSettings(config.url),
    max: config.poolSize,
    // Opening a connection (TCP, TLS, auth) or waiting for a free one.
    connectionTimeoutMillis: t,
    // Client side: the answer must arrive in time, whatever the network does (query() narrows it further).
    query_timeout: t,
    // Server side: the server abandons a statement that takes too long (lock waits, overload, a costly search).
    statement_timeout: statementTimeoutMs(t),
    // A session idle inside a transaction for that long has a stalled or vanished client: free its locks.
    idle_in_transaction_session_timeout: t,
    // Lets the OS notice a peer that vanished without a FIN on connections that sit idle.
    keepAlive: true,
    keepAliveInitialDelayMillis: t,
    // Idle connections are the ones a network fault breaks silently: do not keep them for long.
    idleTimeoutMillis: Math.max(10_000, 2 * t),
  };
}

/**
 * The URL and `options` that start every connection with SESSION_SETTINGS. pg lets a URL's own `options` parameter
 * override the config's, so an operator's options are merged into the URL (theirs last, so theirs win).
 */
function withSessionSettings(url: string): { connectionString: string; options?: string } {
  const parsed = new URL(url);
  const theirs = parsed.searchParams.get("options");
  if (theirs === null) return { connectionString: url, options: startupOptions(process.env.PGOPTIONS) };
  parsed.searchParams.set("options", startupOptions(theirs));
  return { connectionString: parsed.toString() };
}

export interface PostgresDriver {
  pool: pg.Pool;
  /** Migrations: one connection with no statement or query timeout (a migration or a replica's lock may take long). */
  transact: Transactor;
  /** One query, bounded like every query of the pool. */
  query<Row>(sql: string): Promise<Row[]>;
  /** Ends the pool; connections that do not close cleanly within a second are destroyed. */
  close(): Promise<void>;
}

export function openPostgres(config: PostgresConfig): PostgresDriver {
  const timeoutMs = config.timeoutMs;
  // Saying goodbye to a healthy server takes milliseconds; a stalled one never answers, so do not wait long.
  const closeGraceMs = Math.min(timeoutMs, 1000);
  // Every socket, so close() can cut connections a stalled server never answers the goodbye on.
  const sockets = new Set<net.Socket>();
  const stream = () => {
    const socket = new net.Socket();
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    return socket;
  };
  const pool = new pg.Pool({ ...poolOptions(config), stream });
  // A dropped connection must not crash the process: idle ones the pool replaces; a checked-out one (between two
  // statements of a transaction, say) has no listener of the pool's, and its failure reaches the next query anyway.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  boundQueries(pool, timeoutMs, config.cancelOnHangUp === false ? undefined : config.url);

  return {
    pool,
    async transact(fn) {
      const socket = stream();
      const client = new pg.Client({
        connectionString: config.url,
        connectionTimeoutMillis: timeoutMs,
        keepAlive: true,
        keepAliveInitialDelayMillis: timeoutMs,
        stream: () => socket,
      });
      client.on("error", () => {});
      await client.connect();
      try {
        await client.query("BEGIN");
        const tx: SqlTransaction = {
          query: async <Row>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as Row[],
          exec: async (sql) => void (await client.query(sql)),
        };
        const result = await fn(tx);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        if (!(await finishesWithin(client.end(), closeGraceMs))) socket.destroy();
      }
    },
    query: async <Row>(sql: string) => (await pool.query(sql)).rows as Row[],
    async close() {
      // pool.end() resolves once every client is asked to end, not once their sockets closed.
      await finishesWithin(pool.end(), closeGraceMs);
      const closed = Promise.all([...sockets].map((socket) => new Promise((resolve) => socket.once("close", resolve))));
      if (await finishesWithin(closed, closeGraceMs)) return;
      // The server never acknowledged the goodbye (stalled): cut the connections.
      for (const socket of sockets) socket.destroy();
    },
  };
}

/**
 * Makes pool.query() (what @prisma/adapter-pg calls for every statement outside a transaction) fail within
 * timeoutMs from the call, waiting for a free connection included. The pool's own timeouts apply to each phase
 * separately, so waiting for a connection and then for the answer could otherwise take twice as long.
 *
 * Per statement this adds as little as it can (it runs for every lookup, list and search: docs/performance.md,
 * "The pool's bounds, leaner"). A connection that is idle is handed over on the next tick without any I/O, so the
 * checkout gets a timer of ours only when it may wait (a new connection, or a queue); pg-pool's own
 * connectionTimeoutMillis bounds it in every case. A socket that breaks mid-statement needs no listener of ours:
 * pg fails the statement in flight with the socket's error (and openPostgres' listener on every client keeps the
 * 'error' event from crashing the process), and that error releases the client as broken below.
 */
function boundQueries(pool: pg.Pool, timeoutMs: number, cancelUrl: string | undefined): void {
  const original = pool.query.bind(pool);
  const serverBoundMs = statementTimeoutMs(timeoutMs);
  const max = pool.options.max ?? 10;
  // When the database last answered a statement (a result or its own error): a timeout after a queued checkout is
  // a busy pool only if the database answered others after this call began; silent all along, it is unreachable.
  // (Calls already queued when a database stalls still read as busy: the wave of one DATABASE_TIMEOUT_MS.)
  let answeredAt = -Infinity;
  async function bounded(config: string | pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult> {
    // Taken before any await: it was lent for this synchronous call only (statement-signal.ts).
    const signal = takeStatementSignal();
    if (signal?.aborted) throw new StatementCancelledError({ cause: signal.reason });
    const started = performance.now();
    const queued = pool.idleCount === 0 && pool.totalCount >= max;
    // pg-pool serves its queue first come, first served, one idle connection each: with more idle connections than
    // calls waiting, this call gets one at the next tick.
    const idle = pool.idleCount > pool.waitingCount;
    const pending = idle ? pool.connect() : checkout(pool, timeoutMs);
    // A caller that gives up leaves the queue; an idle connection comes on the next tick, not worth a race.
    const client = await (signal && !idle ? unlessAborted(pending, signal) : pending);
    if (signal?.aborted) {
      client.release();
      throw new StatementCancelledError({ cause: signal.reason });
    }
    const remaining = Math.max(1, Math.round(timeoutMs - (performance.now() - started)));
    // pg reads query_timeout from each query's config; @types/pg does not declare it there. Object.assign, not a spread
    // with the key added: Node 20's optimised code gives each such copy a map of its own (3 µs a statement, measured).
    const request: pg.QueryConfig & { query_timeout: number } =
      typeof config === "string"
        ? { text: config, values, query_timeout: remaining }
        : Object.assign({}, config, values ? { values } : undefined, { query_timeout: remaining });
    // Off (DATABASE_CANCEL_ON_HANGUP), a running statement runs to its end or statement_timeout. The cancel's own wait
    // is short: its socket is not the pool's, so close() could not cut it, and one not taken in time only costs the
    // connection (discarded).
    const watch =
      signal && cancelUrl !== undefined
        ? cancelOnAbort(signal, () => cancelBackend(cancelUrl, client, Math.min(timeoutMs, 1000)))
        : undefined;
    let result: pg.QueryResult;
    try {
      result = await client.query(request);
    } catch (error) {
      const cancelled = watch?.stop();
      if (cancelled) {
        // The server's own error (57014) leaves the connection usable once the cancel request is taken.
        await releaseAfterCancel(client, cancelled, error instanceof pg.DatabaseError);
        throw new StatementCancelledError({ cause: error });
      }
      // The server's own errors leave the connection usable; a timeout or a broken socket may not.
      if (error instanceof pg.DatabaseError) {
        answeredAt = performance.now();
        client.release();
      } else client.release(asError(error));
      // Cut by this client after waiting in the pool's queue long enough that the server's own bound could not
      // come first, while the database kept answering others: the pool was busy, the database reachable.
      const busy = queued && remaining < serverBoundMs && answeredAt > started;
      if (busy && error instanceof Error && error.message === "Query read timeout")
        throw new DatabaseBusyError(timeoutMs - remaining, timeoutMs, { cause: error });
      throw error;
    }
    answeredAt = performance.now();
    const cancelled = watch?.stop();
    // Finished before the cancel reached it (PostgreSQL ignores a cancel that finds its backend idle): the result
    // stands; the connection waits for the cancel request to be taken all the same.
    if (cancelled) await releaseAfterCancel(client, cancelled, true);
    else client.release();
    return result;
  }
  // Callbacks and submittables (cursors, streams) keep the pool's own behaviour; nothing here uses them.
  const query = (...args: unknown[]): unknown => {
    const [config, values] = args;
    const promiseStyle =
      args.length <= 2 &&
      typeof args.at(-1) !== "function" &&
      (typeof config === "string" || (typeof config === "object" && config !== null && !("submit" in config))) &&
      (values === undefined || Array.isArray(values));
    return promiseStyle
      ? bounded(config as string | pg.QueryConfig, values as unknown[] | undefined)
      : Reflect.apply(original, pool, args);
  };
  pool.query = query as unknown as typeof pool.query;
}

/** A connection within `ms`; one that arrives after the caller gave up goes straight back to the pool. */
function checkout(pool: pg.Pool, ms: number): Promise<pg.PoolClient> {
  const pending = pool.connect();
  return withTimeout(pending, ms, "give a connection").catch((error: unknown) => {
    releaseWhenItComes(pending);
    throw error;
  });
}

/** A connection its caller no longer waits for goes back to the pool when it arrives. */
function releaseWhenItComes(pending: Promise<pg.PoolClient>): void {
  pending.then(
    (late) => late.release(),
    () => {},
  );
}

/**
 * Calls `cancel` (once) when `signal` aborts, until stopped; `stop()` answers the cancel's outcome if it was sent.
 * A running statement's backend reads nothing from its own connection, so only a cancel request stops it.
 */
function cancelOnAbort(signal: AbortSignal, cancel: () => Promise<boolean>): { stop(): Promise<boolean> | undefined } {
  let sent: Promise<boolean> | undefined;
  const onAbort = () => {
    sent = cancel();
  };
  signal.addEventListener("abort", onAbort, { once: true });
  return {
    stop() {
      signal.removeEventListener("abort", onAbort);
      return sent;
    },
  };
}

/**
 * Gives back a connection whose statement was sent a cancel request, once the server took it: a request still on
 * its way could stop the next statement on that connection. One the server did not take in time is discarded, and so
 * is one whose statement did not end in the server's own words (`usable`).
 */
async function releaseAfterCancel(client: pg.PoolClient, cancelled: Promise<boolean>, usable: boolean) {
  const taken = await cancelled;
  client.release(taken && usable ? undefined : new Error("The statement's cancel request was not confirmed"));
}

/** A connection, or StatementCancelledError as soon as `signal` aborts (a late connection goes back to the pool). */
function unlessAborted(pending: Promise<pg.PoolClient>, signal: AbortSignal): Promise<pg.PoolClient> {
  let leave: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    leave = () => reject(new StatementCancelledError({ cause: signal.reason }));
    signal.addEventListener("abort", leave, { once: true });
  });
  // Settled by the race below, or never (the listener is gone once a connection came).
  aborted.catch(() => {});
  return Promise.race([pending, aborted])
    .catch((error: unknown) => {
      if (error instanceof StatementCancelledError) releaseWhenItComes(pending);
      throw error;
    })
    .finally(() => leave && signal.removeEventListener("abort", leave));
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Rejects with DatabaseTimeoutError when `promise` takes longer than `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number, what?: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeoutError(ms, what)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function finishesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return withTimeout(promise, ms).then(
    () => true,
    (error: unknown) => !(error instanceof DatabaseTimeoutError),
  );
}
