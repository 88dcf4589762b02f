import { render, screen, waitFor, within } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { withApp } from "../../test-providers.tsx";
import { MemoryList } from "../memories/MemoryList.tsx";
import NewMemory from "../memories/NewMemory.tsx";
import { useLiveChanges } from "./use-live-changes.ts";

function LiveStatus() {
  return <p data-testid="live">{useLiveChanges().status}</p>;
}

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
    // Connected ("pending" is an open stream): the write's event is then sure to reach the page.
    await waitFor(() => expect(screen.getByTestId("live").textContent).toBe("pending"));

    // The race made certain: the create's answer (from the real server) is handed to the page only after the page
    // applied the create's change event, which is the only thing that fills the memory's page before the answer.
    const send = globalThis.fetch;
    let held = false;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const response = await send(input, init);
      if (!String(input instanceof Request ? input.url : input).includes("/trpc/videoAnalysis.create")) return response;
      await vi.waitFor(() => {
        if (!queryClient.getQueryData(trpc.videoAnalysis.byVideoId.queryKey({ videoId }))) throw new Error("no event");
      });
      held = true;
      return response;
    });

    await userEvent.type(screen.getByLabelText("Video id"), videoId);
    await userEvent.type(screen.getByLabelText("Description"), "Written on this page.");
    await userEvent.click(screen.getByRole("button", { name: "Create" }));
    await waitFor(() => expect(location.history?.at(-1)).toBe(`/memories/${videoId}`));
    expect(held).toBe(true);
    const card = screen.getByRole("link", { name: videoId }).closest("article")!;
    expect(within(card).getByRole("heading").textContent).toBe(videoId);
  });
});
