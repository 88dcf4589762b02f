import { Component, type ReactNode } from "react";

interface State {
  error: Error | null;
}

/**
 * A page that could not load (its code is fetched on demand: the server may be unreachable, or a deploy replaced the
 * file) or that failed while rendering: said in words, with a reload, instead of a blank screen.
 */
export class PageErrorBoundary extends Component<{ children: ReactNode; resetKey: string }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidUpdate(previous: { resetKey: string }) {
    // Navigating elsewhere tries again.
    if (previous.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  override render() {
    if (!this.state.error) return this.props.children;
    const loading = /dynamically imported module|Importing a module script failed|Failed to fetch/i.test(
      this.state.error.message,
    );
    return (
      <div role="alert" className="problem">
        <p>
          {loading
            ? "This page could not be loaded: the server cannot be reached, or a new version was installed."
            : "This page failed to show."}
        </p>
        <button type="button" onClick={() => window.location.reload()}>
          Reload
        </button>
      </div>
    );
  }
}
