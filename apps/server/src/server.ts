import cluster from "node:cluster";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import net, { type AddressInfo } from "node:net";
import { type Http2Bindings, type HttpBindings, serve } from "@hono/node-server";
import { ChangeFeed } from "@memory-mirror/api";
import { createDb, type CreateDbOptions, type Database, describeDatabase } from "@memory-mirror/db";
import { AnswerWithHeaders } from "./answer-headers.ts";
import { createApp } from "./app.ts";
import { startUpkeep } from "./upkeep.ts";
import { collectAtRest, type CollectAtRestTimes, exposedGc } from "./collect-at-rest.ts";
import { Metrics } from "./metrics.ts";
import type { ServerConfig } from "./config.ts";
import { createLogger, type Logger } from "./logger.ts";
import { shareWritePositions } from "./write-positions.ts";
import { settleUnreadBody } from "./unread-bodies.ts";
import { answerClientErrors } from "./oversized-heads.ts";

export interface MemoryMirrorServer {
  /** Opens the database, applies pending migrations and listens. Resolves to the base URL. */
  start(): Promise<string>;
  /**
   * Stops listening, lets in-flight requests finish and closes the database, all within shutdownTimeoutMs
   * (connections still open then are cut). Every response sent after it stopped listening says `Connection: close`.
   */
  stop(): Promise<void>;
  /** The base URL (`http://host:port`) once started. */
  readonly url: string;
  /** The open database once started (for tools and tests that act beside the HTTP API). */
  readonly database: Database;
}

/** The debug line of each full collection at rest. */
export const COLLECTED_AT_REST = "collected garbage at rest";

export interface CreateServerOptions {
  logger?: Logger;
  /** Passed to createDb (tests start embedded databases from a template). */
  database?: CreateDbOptions;
  /**
   * On stop, how long a keep-alive connection must have been idle, counted from when the server stopped
   * listening, before it is closed (default 500 ms). A request already on its way then arrives within that time
   * and is answered (with `Connection: close`); closing idle sockets at once, as Node's server.close() does,
   * resets such requests. More than a one-way network delay; tests on one host use less.
   */
  idleGraceMs?: number;
  /** The built web app to serve at `/` (default: apps/web/dist). */
  webDir?: string;
  /**
   * Collects garbage once nothing was in flight for a while after something was (collect-at-rest.ts). Off by default,
   * since it collects the whole process's heap, tests' included: main.ts passes COLLECT_AT_REST_MS's timings.
   */
  collectAtRest?: CollectAtRestTimes;
}

export function createServer(config: ServerConfig, options: CreateServerOptions = {}): MemoryMirrorServer {
  const logger = options.logger ?? createLogger(config.logLevel);
  let db: Database | undefined;
  let changes: ChangeFeed | undefined;
  let stopUpkeep: (() => void) | undefined;
  let stopCollecting: (() => void) | undefined;
  let http: Server | undefined;
  let connections: ConnectionTracker | undefined;
  let url: string | undefined;
  let draining = false;
  let stopping: Promise<void> | undefined;

  async function start(): Promise<string> {
    if (url) return url;
    // Listen first: a port in use or a HOST that is not this machine's fails here, before any database work.
    // Until the app exists every request gets 503 "starting" (readiness says so too), except liveness: the process
    // runs, so /healthz answers 200 (an orchestrator must not kill a server that is still migrating).
    let app: ReturnType<typeof createApp> | undefined;
    const handle = (request: Request, env: HttpBindings | Http2Bindings): Response | Promise<Response> => {
      const answer = app ? app.fetch(request, env) : starting(request);
      if (!(answer instanceof Promise)) return settleUnreadBody(request, env)?.then(() => answer) ?? answer;
      return answer.then((response) => settleUnreadBody(request, env)?.then(() => response) ?? response);
    };
    http = await new Promise<Server>((resolve, reject) => {
      const server = serve(
        {
          fetch: handle,
          port: config.port,
          hostname: config.host,
          // Node's answer writes the headers every app answer carries (answer-headers.ts).
          serverOptions: { ServerResponse: AnswerWithHeaders },
        },
        () => resolve(server as Server),
      );
      connections = trackConnections(server as Server, options.idleGraceMs ?? 500);
      answerClientErrors(server as Server);
      server.once("error", (error) => reject(new ListenError(config.host, config.port, error)));
    });
    try {
      // Several server processes with replicas: each must hear the others' writes (write-positions.ts).
      const positions =
        cluster.isWorker && config.database.kind === "postgres" && config.database.replicas
          ? shareWritePositions()
          : undefined;
      db = await createDb(config.database, {
        ...options.database,
        replicaEvents: {
          onReplicaState(replica, previous, error) {
            const fit = replica.state === "up";
            logger[fit ? "info" : "warn"](
              { replica: replica.name, state: replica.state, previous, lagMs: replica.lagMs, err: error },
              fit ? "replica serves reads" : "replica serves no reads until it recovers",
            );
          },
          ...(positions ? { onWrote: positions.publish } : {}),
        },
      });
      positions?.attach(db.reads);
      const { applied, edited } = await db.migrate();
      if (applied.length) logger.info({ applied }, "applied migrations");
      if (edited.length) logger.warn({ edited }, "migrations changed after they were applied");
      const metrics = new Metrics(db);
      const { prisma } = db;
      changes = new ChangeFeed({
        prisma,
        listen: db.listen,
        maxQueued: config.streamMaxQueued,
        onRead: metrics.changeRead,
        onSent: metrics.changeSent,
        onCut: metrics.streamCut,
        onListenError: (error) => logger.warn({ err: error }, "change feed: listening failed; reconnecting"),
      });
      stopUpkeep = startUpkeep(
        prisma,
        { retentionMs: config.changesRetentionMs, rateLimitsInDatabase: config.rateLimitStore === "database" },
        logger,
      );
      app = createApp({ db, config, logger, isDraining: () => draining, changes, metrics, webDir: options.webDir });
      // Open streams are requests in progress, so a server pushing changes to subscribers is never at rest.
      if (options.collectAtRest && connections) {
        const gc = exposedGc();
        if (!gc) logger.warn("V8's gc cannot be had in this Node: not collecting garbage at rest");
        else
          stopCollecting = collectAtRest(http, connections.lastActive, gc, options.collectAtRest, (kind, ms) => {
            metrics.restCollected(kind);
            if (kind === "full") logger.debug({ ms }, COLLECTED_AT_REST);
          });
      }
    } catch (error) {
      const server = http;
      http = undefined;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await db?.close();
      db = undefined;
      throw error;
    }
    const { port } = http.address() as AddressInfo;
    const host = config.host.includes(":") ? `[${config.host}]` : config.host;
    url = `http://${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${port}`;
    logger.info({ url, database: describeDatabase(config.database) }, "Memory Mirror listening");
    if (config.authOffExposed) {
      logger.warn(
        `AUTH=off on ${config.host}: anyone who can reach this address can read, change and delete every memory. ` +
          "Set AUTH=required (the default off loopback) and create keys with pnpm keys:create --admin.",
      );
    } else if (config.auth === "off") {
      logger.info(
        `Authentication is off because the server listens on loopback (${config.host}) only; AUTH=required turns it on`,
      );
    } else if ((await db.prisma.apiKey.count()) === 0) {
      // Revocation deletes keys, so none means nobody can call yet: say how the first one is made.
      logger.warn(
        "No API key exists yet, so every call answers 401. Make the first admin key with pnpm keys:create --admin " +
          "(with the embedded database, stop this server first: one process owns its directory), then more with mm keys create.",
      );
    }
    return url;
  }

  async function shutdown(): Promise<void> {
    const deadline = performance.now() + config.shutdownTimeoutMs;
    // The database gets the last part of the budget; a stalled one is cut, not waited for.
    const closeReserve = Math.min(1000, config.shutdownTimeoutMs / 4);
    draining = true; // /readyz answers 503 from now on
    stopUpkeep?.();
    stopCollecting?.();
    if (http && connections) {
      // Accept what the kernel already queued, then in one tick stop listening and mark every answer not yet sent
      // "Connection: close" (in that order: told to close earlier, clients reconnect into a closing listener).
      await connections.stopListening(Math.min(1000, config.shutdownTimeoutMs / 4));
      // `at`: sub-millisecond wall-clock time, for tests that tell requests sent before the close from those after.
      logger.info({ at: performance.timeOrigin + performance.now() }, "stopped listening");
      // Change streams never end by themselves: end them now (without tRPC's "return", so clients reconnect and
      // resume from their last id on another process).
      await changes?.close();
      const drained = connections.drained();
      const timedOut = !(await settlesBy(drained, deadline - closeReserve));
      if (timedOut) {
        logger.warn(
          { open: connections.count() },
          "shutdown timeout: closing connections with requests still in flight",
        );
        connections.cutAll();
        await settlesBy(drained, deadline - closeReserve / 2);
      }
    }
    await changes?.close();
    if (db && !(await settlesBy(db.close(), deadline)))
      logger.warn("shutdown timeout: the database did not close in time");
    logger.info("Memory Mirror stopped");
  }

  return {
    start,
    stop() {
      stopping ??= shutdown();
      return stopping;
    },
    get url() {
      if (!url) throw new Error("The server is not started");
      return url;
    },
    get database() {
      if (!db || !url) throw new Error("The server is not started");
      return db;
    },
  };
}

/** The server could not listen where it was told to (port in use, HOST not this machine's…). */
export class ListenError extends Error {
  override name = "ListenError";
  constructor(host: string, port: number, cause: unknown) {
    super(`Could not listen on ${host}:${port}`, { cause });
  }
}

function starting(request: Request): Response {
  if (new URL(request.url).pathname === "/healthz") return Response.json({ status: "starting" });
  return Response.json({ status: "starting" }, { status: 503, headers: { "Retry-After": "1" } });
}

interface ConnectionTracker {
  /**
   * Closes the listening socket once the kernel's accept queue is empty (at most after `maxWaitMs`): closing it
   * resets connections still queued there, and Node accepts only one per event-loop turn, so under load several
   * wait. From then on every answer says `Connection: close`.
   */
  stopListening(maxWaitMs: number): Promise<void>;
  /** Ends connections as they become free; resolves when none is left (after stopListening). */
  drained(): Promise<void>;
  cutAll(): void;
  count(): number;
  /** When a request (a stream included) was last in progress: performance.now() while one is. */
  lastActive: () => number;
}

/** What the server knows about each connection: requests in progress, and since when it has had none. */
function trackConnections(server: Server, idleGraceMs: number): ConnectionTracker {
  const sockets = new Map<net.Socket, { active: number; idleSince: number; endedAt?: number }>();
  const pending = new Set<ServerResponse>();
  let accepted = 0;
  let closing = false;
  let closedAt = 0;
  let closed: Promise<void> | undefined;
  let lastEnded = performance.now();

  server.on("connection", (socket: net.Socket) => {
    accepted++;
    sockets.set(socket, { active: 0, idleSince: performance.now() });
    socket.once("close", () => sockets.delete(socket));
  });
  // First among the request listeners, so the header is set before Hono writes a synchronous answer.
  server.prependListener("request", (req: IncomingMessage, res: ServerResponse) => {
    const state = sockets.get(req.socket);
    if (state) state.active++;
    if (closing) res.setHeader("Connection", "close");
    pending.add(res);
    res.once("close", () => {
      pending.delete(res);
      lastEnded = performance.now();
      if (state) {
        state.active--;
        state.idleSince = performance.now();
      }
    });
  });

  const closeIdle = () => {
    const now = performance.now();
    for (const [socket, state] of sockets) {
      if (state.active > 0) continue;
      if (state.endedAt === undefined) {
        if (now - Math.max(state.idleSince, closedAt) >= idleGraceMs) {
          socket.end();
          state.endedAt = now;
        }
      } else if (now - state.endedAt >= idleGraceMs) {
        // A peer that does not answer our FIN (a client that left a response body unread pauses its socket) would
        // hold the drain until the shutdown timeout; the connection is idle and half closed, so nothing is lost.
        socket.destroy();
      }
    }
  };

  return {
    stopListening(maxWaitMs) {
      const started = performance.now();
      return new Promise<void>((resolve) => {
        // Checked in the check phase, after the poll phase: a whole turn whose poll accepted nothing found the queue
        // empty. The turn we are in does not count (its poll may have accepted before we looked).
        let seen = -1;
        const check = () => {
          if (accepted !== seen && performance.now() - started < maxWaitMs) {
            seen = accepted;
            setImmediate(check);
            return;
          }
          // net.Server's close, not http.Server's: stop listening without dropping idle keep-alive sockets at once.
          closed = new Promise<void>((done) => net.Server.prototype.close.call(server, () => done()));
          closing = true;
          closedAt = performance.now();
          for (const res of pending) if (!res.headersSent) res.setHeader("Connection", "close");
          resolve();
        };
        setImmediate(check);
      });
    },
    drained() {
      // After the poll phase too, so a request that arrived while the loop was busy is read (and its socket marked
      // active) before the socket can be judged idle.
      const sweep = setInterval(() => setImmediate(closeIdle), Math.max(10, Math.min(50, idleGraceMs)));
      return (closed ?? Promise.resolve()).finally(() => clearInterval(sweep));
    },
    cutAll() {
      for (const socket of sockets.keys()) socket.destroy();
    },
    count: () => sockets.size,
    lastActive: () => (pending.size > 0 ? performance.now() : lastEnded),
  };
}

/** True if `promise` settles before the `deadline` (a performance.now() time). */
function settlesBy(promise: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, deadline - performance.now()));
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}
