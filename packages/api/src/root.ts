import { createTRPCRouter } from "./trpc.ts";
import { videoAnalysisRouter } from "./video-analysis/router.ts";

export const appRouter = createTRPCRouter({
  videoAnalysis: videoAnalysisRouter,
});

export type AppRouter = typeof appRouter;
