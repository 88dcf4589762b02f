import cluster from "node:cluster";
import { pino, type Logger } from "pino";
import type { ServerConfig } from "./config.ts";

export type { Logger };

/** JSON lines on stdout (what log shippers expect); pipe through `pino-pretty` to read them in a terminal. */
export function createLogger(level: ServerConfig["logLevel"]): Logger {
  return pino({
    level,
    // With WORKERS > 1 several processes write the log: each line says which.
    base: { service: "memory-mirror", ...(cluster.isWorker ? { pid: process.pid } : {}) },
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
