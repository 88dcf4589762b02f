import { keysRouter } from "./access/router.ts";
import { createTRPCRouter } from "./trpc.ts";
import { videoAnalysisRouter } from "./video-analysis/router.ts";

export const appRouter = createTRPCRouter({
  videoAnalysis: videoAnalysisRouter,
  keys: keysRouter,
});

export type AppRouter = typeof appRouter;
