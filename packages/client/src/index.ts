import type { AppRouter } from "@memory-mirror/api";
import { DEFAULT_MAX_BATCH_SIZE } from "@memory-mirror/api/limits";
import {
  createTRPCClient,
  type HTTPHeaders,
  httpBatchLink,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClient,
  TRPCClientError,
} from "@trpc/client";
import { EventSource } from "eventsource";

// Types only from the server and schemas entries, the one value from the limits entry (constants alone): neither
// server code (Prisma, database drivers) nor zod and the schemas reach a consumer's bundle (the web app's).
export type { AppRouter, RouterInputs, RouterOutputs } from "@memory-mirror/api";
export type { ChangeEvent, VideoAnalysis } from "@memory-mirror/api/schemas";

export interface MemoryMirrorClientOptions {
  /** The server's base URL (`http://localhost:3000`) or its tRPC endpoint (`…/trpc`). */
  url: string | URL;
  /** An API key (`mm_…`), sent as `Authorization: Bearer …`; needed when the server requires authentication. */
  apiKey?: string;
  /**
   * The space to act in (`X-MM-Space`): for servers with authentication off, and for admin keys. A key bound to a
   * space always acts in it.
   */
  space?: string;
  /**
   * `"primary"` reads from the primary database even where the server has replicas (`X-MM-Read-From: primary`):
   * fresh data whoever wrote it. By default reads see this space's writes made through the same server process.
   */
  readFrom?: "primary" | "any";
  /** Sent with every request besides those two; a function is called per request. */
  headers?: HTTPHeaders | (() => HTTPHeaders | Promise<HTTPHeaders>);
  /**
   * Calls made in the same tick travel as one HTTP request (default). Batches go as POST so that long ones never
   * hit URL length limits, and hold at most `maxItems` calls. `false` sends one request per call: queries as GET
   * (cacheable), except one whose URL would pass `QUERY_URL_MAX_LENGTH`, which goes as POST.
   */
  batch?: boolean | { maxItems?: number };
  /** A fetch implementation (defaults to the global one). */
  fetch?: typeof fetch;
}

export type MemoryMirrorClient = TRPCClient<AppRouter>;

export function createMemoryMirrorClient(options: MemoryMirrorClientOptions): MemoryMirrorClient {
  const url = trpcEndpoint(options.url);
  const fixed: Record<string, string> = {};
  if (options.apiKey) fixed.authorization = `Bearer ${options.apiKey}`;
  if (options.space) fixed["x-mm-space"] = options.space;
  if (options.readFrom) fixed["x-mm-read-from"] = options.readFrom;
  const extra = options.headers ?? {};
  const headers = typeof extra === "function" ? async () => ({ ...(await extra()), ...fixed }) : { ...extra, ...fixed };
  const common = { url, headers, ...(options.fetch ? { fetch: options.fetch } : {}) };
  const baseFetch = options.fetch ?? fetch;
  // Subscriptions (videoAnalysis.onChange) over SSE through an EventSource that can send the key as a header (the
  // DOM's cannot), and that reconnects with Last-Event-ID by itself: a dropped stream resumes where it stopped.
  const subscriptions = httpSubscriptionLink({
    url,
    EventSource,
    eventSourceOptions: async () => {
      const sent = typeof headers === "function" ? await headers() : headers;
      return {
        fetch: (input: string | URL, init: RequestInit) => {
          const merged = new Headers(init.headers);
          for (const [name, value] of Object.entries(sent))
            if (value !== undefined) merged.set(name, Array.isArray(value) ? value.join(", ") : String(value));
          return baseFetch(input, { ...init, headers: merged });
        },
      };
    },
  });
  const batch = options.batch ?? true;
  const link =
    batch === false
      ? splitLink({
          condition: (op) => op.type === "query" && queryUrlLength(url, op.path, op.input) > QUERY_URL_MAX_LENGTH,
          true: httpLink({ ...common, methodOverride: "POST" }),
          false: httpLink(common),
        })
      : httpBatchLink({
          ...common,
          methodOverride: "POST",
          maxItems: (typeof batch === "object" ? batch.maxItems : undefined) ?? DEFAULT_MAX_BATCH_SIZE,
        });
  return createTRPCClient<AppRouter>({
    links: [splitLink({ condition: (op) => op.type === "subscription", true: subscriptions, false: link })],
  });
}

/**
 * The longest URL an unbatched query is sent in as GET; a longer one goes as POST (the server allows the override).
 * 8000 octets is what RFC 9110 §4.1 asks every recipient to support: Node takes 16 KB for the URL and headers
 * together, and common proxies about 8 KB, so a query with a long input (byVideoIds, context) never meets a 414.
 */
export const QUERY_URL_MAX_LENGTH = 8000;

/** The length of the URL tRPC's httpLink builds for a GET query (no data transformer: the input as JSON). */
function queryUrlLength(url: string, path: string, input: unknown): number {
  const encoded = input === undefined ? 0 : "?input=".length + encodeURIComponent(JSON.stringify(input)).length;
  return url.length + 1 + path.length + encoded;
}

function trpcEndpoint(base: string | URL): string {
  const url = new URL(base);
  if (!/\/trpc\/?$/.test(url.pathname)) url.pathname = `${url.pathname.replace(/\/$/, "")}/trpc`;
  return url.toString().replace(/\/$/, "");
}

/** What the server's answer to a failed call says of itself; undefined when no tRPC answer came. */
const answerOf = (error: unknown) =>
  error instanceof TRPCClientError ? (error.data as { code?: string; httpStatus?: number } | undefined) : undefined;

/** The tRPC error code of a failed call (`NOT_FOUND`, `CONFLICT`, …), or undefined for other errors. */
export function errorCode(error: unknown): string | undefined {
  return answerOf(error)?.code;
}

/**
 * The HTTP status of a failed call's answer (404, 503, …); undefined when none came (the server was not reached,
 * or something else, a proxy, answered), or for other errors.
 */
export function errorStatus(error: unknown): number | undefined {
  return answerOf(error)?.httpStatus;
}

export { TRPCClientError };
