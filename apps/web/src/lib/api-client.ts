import { createMemoryMirrorClient, type MemoryMirrorClient } from "@memory-mirror/client";

/** What a signed-in page sends with every call. A null key: the server runs with authentication off. */
export interface Credentials {
  apiKey: string | null;
  /** X-MM-Space, for admin keys and servers without authentication; null acts in the key's own (or default) space. */
  space: string | null;
}

/**
 * The typed client (`@memory-mirror/client`) for these credentials; `base` is the server's origin, the page's own
 * unless a test says otherwise. The key travels only in a header, never in a URL, live changes included: the client
 * streams them through the `eventsource` package (on fetch), which sends the header on every (re)connection and
 * resumes with Last-Event-ID after a drop. The browser's own EventSource cannot send headers: it would need a 60 s
 * stream token in the URL, and its reconnects reuse that URL, so one after the token expired fails for good.
 */
export function createApiClient(
  { apiKey, space }: Credentials,
  base: string = window.location.origin,
): MemoryMirrorClient {
  return createMemoryMirrorClient({
    url: base,
    apiKey: apiKey ?? undefined,
    space: space ?? undefined,
    batch: { maxItems: 20 },
  });
}
