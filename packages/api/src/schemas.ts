/** The values-only entry (`@memory-mirror/api/schemas`): schemas, limits and the memory header answers share; no server code. */
export * from "./access/schemas.ts";
export * from "./limits.ts";
export * from "./video-analysis/filter-schemas.ts";
export * from "./video-analysis/memory-header.ts";
export * from "./video-analysis/metadata-schemas.ts";
export * from "./video-analysis/recorded-at-schemas.ts";
export * from "./video-analysis/schemas.ts";
export * from "./video-analysis/upsert-schemas.ts";
export * from "./video-analysis/bulk-schemas.ts";
export * from "./video-analysis/history-schemas.ts";
export * from "./video-analysis/export-schemas.ts";
export * from "./video-analysis/search-schemas.ts";
export * from "./video-analysis/when-schemas.ts";
export * from "./changes/schemas.ts";
