/** Most calls one tRPC batch may hold by default: the server's MAX_BATCH_SIZE and the typed client's split size. */
export const DEFAULT_MAX_BATCH_SIZE = 100;
