/**
 * For apps/server/bench only; not API. What the bench's layer ladder (layer-servers.ts) runs of this package's
 * internals, so it measures the service's own statement and decoding rather than copies that could go stale.
 */
export { storedRowsOf, toAnalysis } from "./video-analysis/stored-row.ts";
export { LOOKUP } from "./video-analysis/video-lookups.ts";
