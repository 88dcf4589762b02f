// First: .env must be in process.env before the other modules load (see env-file.ts).
import "./env-file.ts";
// Before any WebAssembly is compiled (see wasm-tiers.ts).
import "./wasm-tiers.ts";
// Before the server allocates (see heap-growth.ts).
import "./heap-growth.ts";
import cluster from "node:cluster";
import { READY, superviseWorkers } from "./cluster.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { explainStartupError } from "./startup-errors.ts";

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(2);
}

const logger = createLogger(config.logLevel);
if (config.workers > 1 && cluster.isPrimary) {
  if (config.rateLimitStore === "memory" && config.rateLimitPerMinute > 0) {
    logger.warn(
      `RATE_LIMIT_STORE=memory with WORKERS=${config.workers}: each process counts its own calls, so a key gets up ` +
        `to ${config.workers} × RATE_LIMIT_PER_MINUTE; RATE_LIMIT_STORE=database gives one budget`,
    );
  }
  process.exit(await superviseWorkers(config.workers, logger));
}
// Loaded here, not above: a primary that only supervises workers never loads the database client.
const { createServer } = await import("./server.ts");
const server = createServer(config, {
  logger,
  ...(config.collectAtRest ? { collectAtRest: config.collectAtRest } : {}),
});

try {
  await server.start();
} catch (error) {
  // One line for the person at the terminal; the whole error for the log, below the level they usually read.
  console.error(explainStartupError(error, config));
  logger.debug({ err: error }, "start-up failed");
  process.exit(1);
}
process.send?.(READY);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    // stop() listens no more before it returns (see server.ts): tests compare request times with this line's.
    logger.info({ signal }, "shutting down");
    // stop() keeps to shutdownTimeoutMs by itself; this only guards against a bug keeping the process alive.
    setTimeout(() => {
      logger.error("shutdown did not finish in time; exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs + 2000).unref();
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
