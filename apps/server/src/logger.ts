import { pino, type Logger } from "pino";
import type { ServerConfig } from "./config.ts";

export type { Logger };

/** JSON lines on stdout (what log shippers expect); pipe through `pino-pretty` to read them in a terminal. */
export function createLogger(level: ServerConfig["logLevel"]): Logger {
  return pino({
    level,
    base: { service: "memory-mirror" },
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
