import type { AppRouter } from "@memory-mirror/api";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCClient } from "@trpc/client";
import { EventSource } from "eventsource";

/** What a signed-in page sends with every call. A null key: the server runs with authentication off. */
export interface Credentials {
  apiKey: string | null;
  /** X-MM-Space, for admin keys and servers without authentication; null acts in the key's own (or default) space. */
  space: string | null;
}

export type ApiClient = TRPCClient<AppRouter>;

/** The key travels only in a header, never in a URL. */
export function credentialHeaders({ apiKey, space }: Credentials): Record<string, string> {
  const headers: Record<string, string> = {};
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  if (space) headers["x-mm-space"] = space;
  return headers;
}

/** `base` is the server's origin: the page's own unless a test says otherwise. */
export function createApiClient(credentials: Credentials, base = ""): ApiClient {
  const url = `${base}/trpc`;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        // Live changes over SSE. The browser's own EventSource cannot send headers: it would need a stream token
        // (POST /api/changes/token, 60 s) in the URL, and its own reconnects reuse that URL, so a reconnect after
        // the token expired fails for good. This one runs on fetch: it sends the key as a header on every
        // (re)connection and resumes with Last-Event-ID after a drop, with no token to renew.
        true: httpSubscriptionLink({
          url,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input: string | URL, init: RequestInit) => {
              const headers = new Headers(init.headers);
              for (const [name, value] of Object.entries(credentialHeaders(credentials))) headers.set(name, value);
              return fetch(input, { ...init, headers });
            },
          }),
        }),
        false: httpBatchLink({
          url,
          // Batches as POST: a long batch never hits URL length limits, and the request body never lands in logs.
          methodOverride: "POST",
          maxItems: 20,
          headers: () => credentialHeaders(credentials),
        }),
      }),
    ],
  });
}
