export { createMcpServer, type McpServerOptions } from "./server.ts";
export type { MemoryApi } from "./memory-api.ts";
export { type ClientApiOptions, memoryApiFromClient } from "./client-api.ts";
export { INTERNAL_ERROR_MESSAGE } from "./tool-errors.ts";
export { whenLine } from "./tools/search-answers.ts";
export type { InternalErrorHandler } from "./tool-result.ts";
