// A button that takes another's place (Pause and Resume, Generate and Stop) takes the focus
// from it too: when the pressed button goes (or is disabled while the work runs), the focus
// would otherwise fall back to the page, and a keyboard user would Tab again from the top.

export class FocusHandoff<Id extends string> {
  #next: Id | null = null;

  /** The button `to` takes the focus when it next appears, if the focus is lost by then. */
  pass(to: Id): void {
    this.#next = to;
  }

  /** An attachment for the button `id`: `{@attach handoff.take('id')}`. */
  take(id: Id): (el: HTMLElement) => void {
    return (el) => {
      if (this.#next !== id) return;
      this.#next = null;
      // After the update: the button it replaces may leave the page only after this one arrives.
      queueMicrotask(() => {
        if (!document.activeElement || document.activeElement === document.body) el.focus();
      });
    };
  }
}
