import cluster from "node:cluster";
import { InvalidInputError } from "@memory-mirror/api";
import { pino, type Logger } from "pino";
import type { ServerConfig } from "./config.ts";
import { isoTime } from "./iso-time.ts";

export type { Logger };

/** The message of the one line logged per request (app.ts): the lines that may wait to be written together. */
export const ACCESS_LINE = "request";
/** How late an access line may reach stdout, at most. */
const FLUSH_MS = 100;

/**
 * JSON lines on stdout (what log shippers expect); pipe through `pino-pretty` to read them in a terminal.
 * Access lines gather and are written once 4 KiB wait or every FLUSH_MS (and at exit); every other line is written
 * at once, with the access lines before it. One write per access line (pino's default) cost about a tenth of a
 * lookup's server CPU, measured with bench/cpu.ts. A cluster worker writes each line at once: several processes
 * share its stdout, where only writes up to 4 KiB (PIPE_BUF) cannot interleave.
 */
/**
 * A caller's value the database itself refused (a 4xx, its cause the database's error) is logged as a warning: the
 * same SQLSTATEs (22P02…) come from a mistake in our own statements, which must not pass silently as a 4xx.
 */
export function logDatabaseRefusal(logger: Logger, error: unknown, reqId: string | undefined): void {
  if (error instanceof InvalidInputError && error.cause !== undefined)
    logger.warn({ err: error.cause, reqId }, "the database refused a value: the caller's, or a statement's mistake");
}

export function createLogger(level: ServerConfig["logLevel"]): Logger {
  const destination = pino.destination(
    cluster.isWorker ? { dest: 1 } : { dest: 1, minLength: 4096, periodicFlush: FLUSH_MS },
  );
  return pino(
    {
      level,
      // With WORKERS > 1 several processes write the log: each line says which.
      base: { service: "memory-mirror", ...(cluster.isWorker ? { pid: process.pid } : {}) },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: isoTime,
      hooks: {
        logMethod(args, method) {
          method.apply(this, args);
          if (args[1] !== ACCESS_LINE && args[0] !== ACCESS_LINE) destination.flush();
        },
      },
    },
    destination,
  );
}
