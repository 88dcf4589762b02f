import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { VersionDiff } from "./VersionDiff.tsx";

describe("VersionDiff", () => {
  it("marks removed words as deleted and added words as inserted, and names the tags that changed", () => {
    render(
      <VersionDiff
        before={{ version: 1, description: "A cat jumps onto a table.", tags: ["cat", "home"] }}
        after={{ version: 2, description: "A dog jumps onto a table.", tags: ["dog", "home"] }}
      />,
    );
    expect(screen.getAllByRole("deletion").map((el) => el.textContent)).toEqual(["cat"]);
    expect(screen.getAllByRole("insertion").map((el) => el.textContent)).toEqual(["dog"]);
    expect(screen.getByText(/Tags added: dog\./)).toBeTruthy();
    expect(screen.getByText(/Tags removed: cat\./)).toBeTruthy();
  });

  it("says so when only the tags changed", () => {
    render(
      <VersionDiff
        before={{ version: 3, description: "Same words.", tags: [] }}
        after={{ version: 4, description: "Same words.", tags: ["x"] }}
      />,
    );
    expect(screen.getByText(/the description is the same/)).toBeTruthy();
  });
});
