import { errorStatus } from "@memory-mirror/client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { type Credentials, createApiClient } from "../lib/api-client.ts";
import { TRPCProvider } from "../lib/trpc.ts";
import { SessionContext } from "../lib/session.ts";
import { Routes } from "./Routes.tsx";
import { Shell } from "./Shell.tsx";

/** Client errors (4xx) do not get better by asking again; a network blip or 5xx may. */
function retry(failures: number, error: unknown): boolean {
  const status = errorStatus(error);
  if (status !== undefined && status < 500) return false;
  return failures < 2;
}

export function SignedInApp({ credentials, signOut }: { credentials: Credentials; signOut: () => void }) {
  const [queryClient] = useState(
    () => new QueryClient({ defaultOptions: { queries: { retry, staleTime: 10_000 }, mutations: { retry: false } } }),
  );
  const [trpcClient] = useState(() => createApiClient(credentials));
  const session = useMemo(() => ({ credentials, signOut }), [credentials, signOut]);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <SessionContext value={session}>
          <Shell>
            <Routes />
          </Shell>
        </SessionContext>
      </TRPCProvider>
    </QueryClientProvider>
  );
}
