/** The router's types, through TanStack Query: `useTRPC().videoAnalysis.list.queryOptions(…)`. Types only. */
import type { AppRouter, RouterOutputs } from "@memory-mirror/api";
import { createTRPCContext } from "@trpc/tanstack-react-query";

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

export type Memory = RouterOutputs["videoAnalysis"]["byVideoId"];
export type SearchHit = RouterOutputs["videoAnalysis"]["search"]["items"][number];
