import { render, screen, waitFor, within } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { serverClient, withApp } from "../../test-providers.tsx";
import MemoryPage from "./MemoryPage.tsx";

let space = "";
let n = 0;
beforeEach(() => {
  // A space per test: nothing one test stores is seen by another.
  space = `memory-page-${process.pid}-${++n}`;
});

describe("MemoryPage", () => {
  it("shows the edit at once, then the server's answer", async () => {
    const api = serverClient(space);
    await api.videoAnalysis.create.mutate({ videoId: "v1", description: "First words.", tags: ["a"] });
    const { ui } = withApp(<MemoryPage videoId="v1" />, { space });
    render(ui);
    await userEvent.click(await screen.findByRole("button", { name: "Edit" }));
    await userEvent.clear(screen.getByLabelText("Description"));
    await userEvent.type(screen.getByLabelText("Description"), "Second words.");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    const shown = await screen.findByRole("region", { name: "Memory" });
    expect(within(shown).getByText("Second words.")).toBeTruthy();
    await waitFor(async () =>
      expect(await api.videoAnalysis.byVideoId.query({ videoId: "v1" })).toMatchObject({
        description: "Second words.",
        version: 2,
      }),
    );
  });

  it("puts the memory back as it was everywhere when the server refuses the edit, and says why", async () => {
    const api = serverClient(space);
    await api.videoAnalysis.create.mutate({ videoId: "v2", description: "Kept words.", tags: [] });
    const { ui, queryClient, trpc } = withApp(<MemoryPage videoId="v2" />, { space });
    // A list loaded earlier and not on screen: nothing refetches it, so only the rollback can put it back.
    const listOptions = trpc.videoAnalysis.list.infiniteQueryOptions(
      { limit: 50 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    );
    await queryClient.prefetchInfiniteQuery(listOptions);
    const listed = () => queryClient.getQueryData(listOptions.queryKey)?.pages[0]?.items[0]?.description;
    const seen: (string | undefined)[] = [];
    queryClient.getQueryCache().subscribe(() => seen.push(listed()));

    render(ui);
    await userEvent.click(await screen.findByRole("button", { name: "Edit" }));
    await userEvent.clear(screen.getByLabelText("Description"));
    // NUL cannot be stored: the server answers 400, after the page already showed the edit.
    await userEvent.type(screen.getByLabelText("Description"), "Bad\0words.");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    expect((await screen.findByRole("alert")).textContent).toContain("NUL");
    expect(seen).toContain("Bad\0words.");
    expect(listed()).toBe("Kept words.");
  });

  it("explains a change made elsewhere and reloads it when asked", async () => {
    const api = serverClient(space);
    await api.videoAnalysis.create.mutate({ videoId: "v3", description: "Original.", tags: [] });
    const { ui } = withApp(<MemoryPage videoId="v3" />, { space });
    render(ui);
    await userEvent.click(await screen.findByRole("button", { name: "Edit" }));
    await api.videoAnalysis.update.mutate({ videoId: "v3", description: "Theirs." });
    await userEvent.clear(screen.getByLabelText("Description"));
    await userEvent.type(screen.getByLabelText("Description"), "Mine.");
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    expect((await screen.findByRole("alert")).textContent).toContain("This memory was changed elsewhere");
    await userEvent.click(screen.getByRole("button", { name: "Reload" }));
    const shown = await screen.findByRole("region", { name: "Memory" });
    expect(await within(shown).findByText("Theirs.")).toBeTruthy();
    expect(await api.videoAnalysis.byVideoId.query({ videoId: "v3" })).toMatchObject({ description: "Theirs." });
  });
});
