import { render, screen } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Credentials } from "../../lib/api-client.ts";
import type { Problem } from "../../lib/errors.ts";
import { SignIn } from "./SignIn.tsx";

const refused: Problem = { kind: "unauthorized", title: "This API key was not accepted: it may be mistyped." };
const KEY = `mm_${"a".repeat(43)}`;

/** A server that takes only KEY (and, when open, no key at all). */
const server = (open: boolean) => (credentials: Credentials) =>
  Promise.resolve(credentials.apiKey === KEY || (open && credentials.apiKey === null) ? undefined : refused);

describe("SignIn", () => {
  it("signs in with the key typed in the field labelled API key, for this tab only by default", async () => {
    const onSignedIn = vi.fn();
    render(<SignIn check={server(false)} onSignedIn={onSignedIn} />);
    await userEvent.type(screen.getByLabelText("API key"), KEY);
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(onSignedIn).toHaveBeenCalledWith({ apiKey: KEY, space: null }, false);
  });

  it("remembers the session on this device when asked, with the space given", async () => {
    const onSignedIn = vi.fn();
    render(<SignIn check={server(false)} onSignedIn={onSignedIn} />);
    await userEvent.type(screen.getByLabelText("API key"), ` ${KEY} `);
    await userEvent.type(screen.getByLabelText("Space (optional)"), "alice");
    await userEvent.click(screen.getByLabelText("Remember me on this device"));
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(onSignedIn).toHaveBeenCalledWith({ apiKey: KEY, space: "alice" }, true);
  });

  it("says what went wrong and stays on the form when the key is refused", async () => {
    const onSignedIn = vi.fn();
    render(<SignIn check={server(false)} onSignedIn={onSignedIn} />);
    await userEvent.type(screen.getByLabelText("API key"), "mm_wrong");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveProperty("textContent", expect.stringContaining("not accepted"));
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  it("asks for a key rather than sending an empty one", async () => {
    const check = vi.fn(server(false));
    render(<SignIn check={check} onSignedIn={vi.fn()} />);
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Enter your API key");
    // Only the probe for a server without authentication was sent.
    expect(check.mock.calls).toEqual([[{ apiKey: null, space: null }]]);
  });

  it("offers to go on without a key only when the server takes calls without one", async () => {
    const onSignedIn = vi.fn();
    const { unmount } = render(<SignIn check={server(false)} onSignedIn={onSignedIn} />);
    await screen.findByLabelText("API key");
    expect(screen.queryByRole("button", { name: "Continue without a key" })).toBeNull();
    unmount();

    render(<SignIn check={server(true)} onSignedIn={onSignedIn} />);
    await userEvent.click(await screen.findByRole("button", { name: "Continue without a key" }));
    expect(onSignedIn).toHaveBeenCalledWith({ apiKey: null, space: null }, false);
  });
});
