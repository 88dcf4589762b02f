import type { MemoryMirrorClient } from "@memory-mirror/client";
import type { MemoryApi } from "./memory-api.ts";
import { serviceErrorCode, ToolError } from "./tool-errors.ts";

export interface ClientApiOptions {
  /**
   * The message for a call that got no answer from the service (unreachable, timed out, not a Memory Mirror
   * server). Service errors (NOT_FOUND, CONFLICT, …) never come here: the tools explain those themselves.
   */
  explainFailure?: (error: unknown) => string;
}

/** The typed HTTP client as a MemoryApi, so tools served far from the server (`mm mcp`) are the same tools. */
export function memoryApiFromClient(client: MemoryMirrorClient, options: ClientApiOptions = {}): MemoryApi {
  const procedures = client.videoAnalysis;
  const call = <T>(promise: Promise<T>): Promise<T> =>
    promise.catch((error: unknown) => {
      if (serviceErrorCode(error)) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new ToolError(options.explainFailure?.(error) ?? `Memory Mirror did not answer: ${message}`, {
        cause: error,
      });
    });
  return {
    videoAnalysis: {
      byVideoId: (input) => call(procedures.byVideoId.query(input)),
      list: (input) => call(procedures.list.query(input)),
      create: (input) => call(procedures.create.mutate(input)),
      update: (input) => call(procedures.update.mutate(input)),
      delete: (input) => call(procedures.delete.mutate(input)),
      upsert: (input) => call(procedures.upsert.mutate(input)),
      byVideoIds: (input) => call(procedures.byVideoIds.query(input)),
      history: (input) => call(procedures.history.query(input)),
      tags: (input) => call(procedures.tags.query(input)),
      search: (input) => call(procedures.search.query(input)),
      context: (input) => call(procedures.context.query(input)),
      recentChanges: (input) => call(procedures.recentChanges.query(input)),
    },
  };
}
