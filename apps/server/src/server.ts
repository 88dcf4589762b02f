import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { createDb, type Database, describeDatabase } from "@memory-mirror/db";
import { createApp } from "./app.ts";
import type { ServerConfig } from "./config.ts";
import { createLogger, type Logger } from "./logger.ts";

export interface MemoryMirrorServer {
  /** Opens the database, applies pending migrations and listens. Resolves to the base URL. */
  start(): Promise<string>;
  /** Stops accepting connections, lets in-flight requests finish (up to shutdownTimeoutMs), closes the database. */
  stop(): Promise<void>;
  /** The base URL (`http://host:port`) once started. */
  readonly url: string;
  /** The open database once started (for tools and tests that act beside the HTTP API). */
  readonly database: Database;
}

export function createServer(config: ServerConfig, options: { logger?: Logger } = {}): MemoryMirrorServer {
  const logger = options.logger ?? createLogger(config.logLevel);
  let db: Database | undefined;
  let http: Server | undefined;
  let url: string | undefined;
  let draining = false;
  let stopping: Promise<void> | undefined;

  async function start(): Promise<string> {
    if (url) return url;
    db = await createDb(config.database);
    try {
      const { applied, edited } = await db.migrate();
      if (applied.length) logger.info({ applied }, "applied migrations");
      if (edited.length) logger.warn({ edited }, "migrations changed after they were applied");
      const app = createApp({ db, config, logger, isDraining: () => draining });
      http = await new Promise<Server>((resolve, reject) => {
        const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(server as Server));
        server.once("error", reject);
      });
    } catch (error) {
      await db.close();
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
      logger.info(`Authentication is off because the server listens on loopback (${config.host}) only; AUTH=required turns it on`);
    }
    return url;
  }

  async function shutdown(): Promise<void> {
    draining = true;
    if (http) {
      const server = http;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections idle between requests would hold close() open: end them as they go idle.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      server.closeIdleConnections();
      const timedOut = await Promise.race([
        closed.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs, true).unref()),
      ]);
      clearInterval(sweep);
      if (timedOut) {
        logger.warn("shutdown timeout: closing connections with requests still in flight");
        server.closeAllConnections();
        await closed;
      }
    }
    await db?.close();
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
