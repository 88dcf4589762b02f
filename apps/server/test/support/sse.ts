/** A plain SSE reader over fetch (what a consumer in any language does), for tests of GET /api/changes. */

export interface SseEvent {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

export interface SseReader {
  status: number;
  headers: Headers;
  events: SseEvent[];
  /** Resolves with the first `n` events once there are that many (rejects if the stream ends first). */
  until(n: number): Promise<SseEvent[]>;
  /** Resolves when the stream ended: "end" when the server ended it cleanly, "error" when it broke (or close()). */
  ended: Promise<"end" | "error">;
  close(): void;
}

export async function readSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  const waiters: { n: number; resolve: (e: SseEvent[]) => void; reject: (e: Error) => void }[] = [];
  let finished = false;
  const settle = () => {
    for (const w of [...waiters]) {
      if (events.length >= w.n) w.resolve(events.slice(0, w.n));
      else if (finished) w.reject(new Error(`the stream ended after ${events.length} events, before ${w.n}`));
      else continue;
      waiters.splice(waiters.indexOf(w), 1);
    }
  };
  const ended = (async (): Promise<"end" | "error"> => {
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      if (!response.body || response.status !== 200) return "end";
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = { id: undefined, event: undefined, data: "" };
          let hasData = false;
          for (const line of block.split("\n")) {
            if (line.startsWith("id: ")) event.id = line.slice(4);
            else if (line.startsWith("event: ")) event.event = line.slice(7);
            else if (line.startsWith("data: ")) {
              event.data += line.slice(6);
              hasData = true;
            }
          }
          if (hasData) events.push(event);
        }
        settle();
      }
      return "end";
    } catch {
      // broken, or aborted by close()
      return "error";
    } finally {
      finished = true;
      settle();
    }
  })();
  return {
    status: response.status,
    headers: response.headers,
    events,
    until: (n) =>
      new Promise((resolve, reject) => {
        waiters.push({ n, resolve, reject });
        settle();
      }),
    ended,
    close: () => abort.abort(),
  };
}
