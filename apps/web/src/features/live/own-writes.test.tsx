import { render, screen, waitFor, within } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { serverClient, withApp } from "../../test-providers.tsx";
import { MemoryList } from "../memories/MemoryList.tsx";
import MemoryPage from "../memories/MemoryPage.tsx";
import NewMemory from "../memories/NewMemory.tsx";
import { useLiveChanges } from "./use-live-changes.ts";

function LiveStatus() {
  return (
    <p role="status" aria-label="Live updates">
      {useLiveChanges().status}
    </p>
  );
}

/** Connected ("pending" is an open stream): a write's event is then sure to reach the page. */
const streamOpen = () =>
  waitFor(() => expect(screen.getByRole("status", { name: "Live updates" }).textContent).toBe("pending"));

/**
 * The race made certain: the page gets the real server's answer to `procedure` only once `until` resolved (the page
 * applied the write's change event). `held` says it happened.
 */
function holdAnswer(procedure: string, until: () => Promise<void>): { held: boolean } {
  const state = { held: false };
  const send = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const response = await send(input, init);
    if (!String(input instanceof Request ? input.url : input).includes(`/trpc/${procedure}`)) return response;
    await until();
    state.held = true;
    return response;
  });
  return state;
}

const EVENT_WAIT = { timeout: 10_000 };

/** The card's heading in the list: the video id alone, or followed by its "New"/"Changed" mark. */
const cardHeading = (videoId: string) =>
  within(screen.getByRole("link", { name: videoId }).closest("article")!).getByRole("heading").textContent;

afterEach(() => vi.restoreAllMocks());

describe("own writes and their live events", () => {
  it("does not mark the page's own new memory as New when its event arrives before the create's answer", async () => {
    const space = `own-writes-${process.pid}`;
    const videoId = `own-${process.pid}`;
    const { ui, queryClient, trpc, location } = withApp(
      <>
        <LiveStatus />
        <NewMemory />
        <MemoryList />
      </>,
      { path: "/new", space },
    );
    render(ui);
    await streamOpen();
    // Only the create's change event fills the memory's page before the answer.
    const hold = holdAnswer("videoAnalysis.create", () =>
      vi.waitFor(() => {
        if (!queryClient.getQueryData(trpc.videoAnalysis.byVideoId.queryKey({ videoId }))) throw new Error("no event");
      }, EVENT_WAIT),
    );

    await userEvent.type(screen.getByLabelText("Video id"), videoId);
    await userEvent.type(screen.getByLabelText("Description"), "Written on this page.");
    await userEvent.click(screen.getByRole("button", { name: "Create" }));
    await waitFor(() => expect(hold.held).toBe(true), EVENT_WAIT);
    await waitFor(() => expect(location.history?.at(-1)).toBe(`/memories/${videoId}`));
    expect(cardHeading(videoId)).toBe(videoId);
  });

  it("does not mark the page's own edit as Changed when its event arrives before the update's answer", async () => {
    const space = `own-edits-${process.pid}`;
    const videoId = `edit-${process.pid}`;
    const api = serverClient(space);
    await api.videoAnalysis.create.mutate({ videoId, description: "Before.", tags: [] });
    const { ui, queryClient, trpc } = withApp(
      <>
        <LiveStatus />
        <MemoryPage videoId={videoId} />
        <MemoryList />
      </>,
      { path: `/memories/${videoId}`, space },
    );
    render(ui);
    await streamOpen();
    // The page shows the stored version's own time only once the update's change event brought it: the edit shown
    // at once carries the browser's clock.
    const hold = holdAnswer("videoAnalysis.update", async () => {
      const stored = await api.videoAnalysis.byVideoId.query({ videoId });
      await vi.waitFor(() => {
        const shown = queryClient.getQueryData(trpc.videoAnalysis.byVideoId.queryKey({ videoId }));
        if (shown?.updatedAt !== stored.updatedAt) throw new Error("no event");
      }, EVENT_WAIT);
    });

    await userEvent.click(await screen.findByRole("button", { name: "Edit" }));
    await userEvent.clear(screen.getByLabelText("Description"));
    await userEvent.type(screen.getByLabelText("Description"), "After.");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(hold.held).toBe(true), EVENT_WAIT);
    expect(within(await screen.findByRole("region", { name: "Memory" })).getByText("After.")).toBeTruthy();
    expect(cardHeading(videoId)).toBe(videoId);
  });
});
