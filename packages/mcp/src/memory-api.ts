import type { RouterInputs, RouterOutputs } from "@memory-mirror/api";

type Inputs = RouterInputs["videoAnalysis"];
type Outputs = RouterOutputs["videoAnalysis"];
type Procedure<K extends keyof Inputs> = (input: Inputs[K]) => Promise<Outputs[K]>;

/**
 * The procedures the tools call, typed from the router (types only: no server code at run time).
 * A tRPC caller (`createCaller(createContext({ prisma }))`) satisfies it in process; `memoryApiFromClient`
 * adapts the typed HTTP client to it.
 */
export interface MemoryApi {
  videoAnalysis: {
    byVideoId: Procedure<"byVideoId">;
    list: Procedure<"list">;
    create: Procedure<"create">;
    update: Procedure<"update">;
    delete: Procedure<"delete">;
    upsert: Procedure<"upsert">;
    byVideoIds: Procedure<"byVideoIds">;
    history: Procedure<"history">;
    tags: Procedure<"tags">;
    search: Procedure<"search">;
    context: Procedure<"context">;
    recentChanges: Procedure<"recentChanges">;
  };
}
