import { videoAnalysisRouter } from "./router/video-analysis.ts";
import { createTRPCRouter } from "./trpc.ts";

export const appRouter = createTRPCRouter({
  videoAnalysis: videoAnalysisRouter,
});

export type AppRouter = typeof appRouter;
