/** The router's types, through TanStack Query: `useTRPC().videoAnalysis.list.queryOptions(…)`. Types only. */
import type { AppRouter, RouterOutputs } from "@memory-mirror/api";
import { createTRPCContext } from "@trpc/tanstack-react-query";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export type Memory = RouterOutputs["videoAnalysis"]["byVideoId"];
export type MemoryVersion = RouterOutputs["videoAnalysis"]["history"]["items"][number];
export type SearchHit = RouterOutputs["videoAnalysis"]["search"]["items"][number];
export type ContextAnswer = RouterOutputs["videoAnalysis"]["context"];
export type ApiKeyInfo = RouterOutputs["keys"]["list"]["items"][number];
