import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { AppRouter } from "@memory-mirror/api";
import { createMemoryMirrorClient } from "@memory-mirror/client";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import type { ReactNode } from "react";
import { inject } from "vitest";
import { Router } from "wouter";
import { memoryLocation } from "wouter/memory-location";
import { createApiClient, type Credentials } from "./lib/api-client.ts";
import { SessionContext } from "./lib/session.ts";
import { TRPCProvider } from "./lib/trpc.ts";

/** What SignedInApp gives a page, against the component tests' real server (test/api-server.ts). */
export function withApp(children: ReactNode, { path = "/", space }: { path?: string; space: string }) {
  const credentials: Credentials = { apiKey: null, space };
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  const location = memoryLocation({ path, record: true });
  const client = createApiClient(credentials, inject("apiUrl"));
  /** The same query keys the app uses, for filling or reading the cache from a test. */
  const trpc = createTRPCOptionsProxy<AppRouter>({ client, queryClient });
  const ui = (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={client} queryClient={queryClient}>
        <SessionContext value={{ credentials, signOut: () => undefined }}>
          <Router hook={location.hook}>{children}</Router>
        </SessionContext>
      </TRPCProvider>
    </QueryClientProvider>
  );
  return { ui, queryClient, location, trpc };
}

/** The same server for the test itself (to change things "elsewhere"). */
export const serverClient = (space: string) => createMemoryMirrorClient({ url: inject("apiUrl"), space });
