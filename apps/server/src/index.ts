export { createServer, type MemoryMirrorServer } from "./server.ts";
export { ConfigError, loadConfig, type ServerConfig } from "./config.ts";
export { createLogger, type Logger } from "./logger.ts";
