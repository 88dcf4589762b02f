import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Highlight } from "./Highlight.tsx";

describe("Highlight", () => {
  it("shows the server's **marked** words as <mark> and everything else as text, never as HTML", () => {
    const { container } = render(<Highlight text="Planting **tomatoes** with <b>Mia</b> in the **garden**" />);
    expect([...container.querySelectorAll("mark")].map((el) => el.textContent)).toEqual(["tomatoes", "garden"]);
    expect(container.querySelector("b")).toBeNull();
    expect(container.textContent).toBe("Planting tomatoes with <b>Mia</b> in the garden");
  });
});
