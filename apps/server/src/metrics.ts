/**
 * GET /metrics in Prometheus' text format (prom-client): requests by transport, route and status, their latency,
 * requests in flight, each procedure call's outcome, rate-limit rejections, the database pool, and the process.
 * Labels are route patterns and procedure names only, never ids or spaces: bounded, and nothing about anyone's data.
 */
import type { CallRecord } from "@memory-mirror/api";
import type { Database } from "@memory-mirror/db";
import type { Context } from "hono";
import { routePath } from "hono/route";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export type Transport = "trpc" | "rest" | "mcp" | "other";

export const transportOf = (path: string): Transport =>
  path.startsWith("/trpc/") ? "trpc" : path.startsWith("/api/") ? "rest" : path === "/mcp" ? "mcp" : "other";

/**
 * Node's process metrics, collected once per process: each collectDefaultMetrics call starts an event-loop-delay
 * monitor and a GC observer that never stop, and tests create many apps in one process.
 */
let processMetrics: Registry | undefined;
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  /** This app's own metrics (mm_*). */
  readonly #registry = new Registry();
  /** What /metrics serves: this app's metrics and the process's (merged once all of them exist). */
  readonly registry: Registry;
  readonly #requests = new Counter({
    name: "mm_http_requests_total",
    help: "HTTP requests answered, by transport, method, route pattern and status",
    labelNames: ["transport", "method", "route", "status"] as const,
    registers: [this.#registry],
  });
  readonly #duration = new Histogram({
    name: "mm_http_request_duration_seconds",
    help: "Time from request to answer, by transport",
    labelNames: ["transport"] as const,
    buckets: SECONDS,
    registers: [this.#registry],
  });
  readonly #inFlight = new Gauge({
    name: "mm_http_requests_in_flight",
    help: "Requests being answered now",
    registers: [this.#registry],
  });
  readonly #calls = new Counter({
    name: "mm_calls_total",
    help: "Procedure calls (tRPC, each call of a batch; MCP tools), by procedure and result code",
    labelNames: ["procedure", "code"] as const,
    registers: [this.#registry],
  });
  readonly #callDuration = new Histogram({
    name: "mm_call_duration_seconds",
    help: "Time one procedure call took, by procedure",
    labelNames: ["procedure"] as const,
    buckets: SECONDS,
    registers: [this.#registry],
  });
  readonly #rateLimited = new Counter({
    name: "mm_rate_limited_total",
    help: "Requests refused with 429 by the rate limit, by transport",
    labelNames: ["transport"] as const,
    registers: [this.#registry],
  });

  readonly #streams = new Gauge({
    name: "mm_change_streams_open",
    help: "Change streams (tRPC onChange, REST /api/changes) open now",
    registers: [this.#registry],
  });
  readonly #eventsSent = new Counter({
    name: "mm_change_events_sent_total",
    help: "Change events handed to streams",
    registers: [this.#registry],
  });
  readonly #streamsCut = new Counter({
    name: "mm_change_streams_cut_total",
    help: "Change streams ended by the server (clients resume from their last id), by reason",
    labelNames: ["reason"] as const,
    registers: [this.#registry],
  });
  readonly #fanoutLag = new Histogram({
    name: "mm_change_fanout_lag_seconds",
    help: "From a change's recording in the database to this process reading it for its subscribers",
    buckets: SECONDS,
    registers: [this.#registry],
  });
  readonly #restCollections = new Counter({
    name: "mm_rest_collections_total",
    help: "Garbage collections run because the server rested after activity, by kind (young, full)",
    labelNames: ["kind"] as const,
    registers: [this.#registry],
  });

  constructor(db: Database) {
    new Gauge({
      name: "mm_db_pool_connections",
      help: "PostgreSQL pool connections: total, idle, and queries waiting for one (absent for the embedded database)",
      labelNames: ["state"] as const,
      registers: [this.#registry],
      collect() {
        const pool = db.connections();
        if (!pool) return;
        this.set({ state: "total" }, pool.total);
        this.set({ state: "idle" }, pool.idle);
        this.set({ state: "waiting" }, pool.waiting);
      },
    });
    replicaMetrics(db, this.#registry);
    this.registry = Registry.merge([this.#registry, processRegistry()]);
  }

  /** Times one request; call the result when it is answered. */
  startRequest(): () => number {
    this.#inFlight.inc();
    const start = performance.now();
    return () => {
      this.#inFlight.dec();
      return performance.now() - start;
    };
  }

  request(c: Context, ms: number): void {
    const transport = transportOf(c.req.path);
    // The pattern that answered (e.g. /api/video-analysis/:video_id), never the concrete path.
    const route = c.res.status === 404 && transport === "other" ? "(unmatched)" : routePath(c, -1);
    this.#requests.inc({ transport, method: c.req.method, route, status: c.res.status });
    this.#duration.observe({ transport }, ms / 1000);
  }

  readonly call = (call: CallRecord): void => {
    this.#calls.inc({ procedure: call.procedure, code: call.code });
    this.#callDuration.observe({ procedure: call.procedure }, call.durationMs / 1000);
  };

  streamOpened(): void {
    this.#streams.inc();
  }

  streamClosed(): void {
    this.#streams.dec();
  }

  readonly changeSent = (): void => {
    this.#eventsSent.inc();
  };

  readonly streamCut = (reason: "slow_consumer" | "shutdown"): void => {
    this.#streamsCut.inc({ reason });
  };

  readonly changeRead = (lagMs: number): void => {
    this.#fanoutLag.observe(Math.max(0, lagMs) / 1000);
  };

  restCollected(kind: "young" | "full"): void {
    this.#restCollections.inc({ kind });
  }

  rateLimited(transport: Transport): void {
    this.#rateLimited.inc({ transport });
  }
}

const REPLICA_STATES = ["starting", "up", "lagging", "down", "not_standby"] as const;

/** Read routing (DATABASE_REPLICA_URLS): who answered reads, and each replica's state and lag. */
function replicaMetrics(db: Database, registry: Registry): void {
  new Counter({
    name: "mm_db_reads_total",
    help: "Read-only operations answered, by database server (primary, or a replica's host:port/database)",
    labelNames: ["server"] as const,
    registers: [registry],
    collect() {
      const { primaryReads, replicas } = db.reads.status();
      this.reset();
      this.inc({ server: "primary" }, primaryReads);
      for (const replica of replicas) this.inc({ server: replica.name }, replica.reads);
    },
  });
  new Counter({
    name: "mm_db_replica_read_failures_total",
    help: "Reads that failed on a replica and were answered by the primary instead",
    labelNames: ["replica"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const replica of db.reads.status().replicas) this.inc({ replica: replica.name }, replica.failures);
    },
  });
  new Gauge({
    name: "mm_db_replica_state",
    help: "1 for each replica's current state (up serves reads; starting, lagging, down and not_standby do not)",
    labelNames: ["replica", "state"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const replica of db.reads.status().replicas)
        for (const state of REPLICA_STATES) this.set({ replica: replica.name, state }, replica.state === state ? 1 : 0);
    },
  });
  new Gauge({
    name: "mm_db_replica_lag_seconds",
    help: "How long each replica has been missing a write the primary had (absent while unknown)",
    labelNames: ["replica"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const replica of db.reads.status().replicas)
        if (replica.lagMs !== null) this.set({ replica: replica.name }, replica.lagMs / 1000);
    },
  });
}
