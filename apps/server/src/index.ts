export { createServer, type MemoryMirrorServer } from "./server.ts";
export { ConfigError, loadConfig, type ServerConfig } from "./env.ts";
export { createLogger, type Logger } from "./logger.ts";
