/**
 * A question asked before something that cannot be undone, as a modal <dialog>: the page behind
 * it is inert, Escape or the safe button closes it, and focus starts on the safe choice and goes
 * back where it was afterwards. Render it only while asking.
 */
import { useId, useLayoutEffect, useRef, type ReactNode } from 'react';

export interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  /** The button that does it, and the one that does not. */
  confirmLabel: string;
  keepLabel: string;
  onConfirm(): void;
  onClose(): void;
}

export function ConfirmDialog({ title, children, confirmLabel, keepLabel, onConfirm, onClose }: ConfirmDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const keep = useRef<HTMLButtonElement>(null);
  const id = useId();

  useLayoutEffect(() => {
    const element = dialog.current;
    const before = document.activeElement as HTMLElement | null;
    if (element && !element.open) element.showModal?.();
    keep.current?.focus();
    return () => {
      if (element?.open) element.close();
      if (before?.isConnected && (document.activeElement === document.body || !document.activeElement)) before.focus();
    };
  }, []);

  return (
    <dialog ref={dialog} className="confirm" aria-labelledby={`${id}-title`} aria-describedby={`${id}-body`} onClose={onClose}>
      <h2 id={`${id}-title`}>{title}</h2>
      <div id={`${id}-body`}>{children}</div>
      <div className="actions">
        <button ref={keep} type="button" className="secondary" onClick={onClose}>
          {keepLabel}
        </button>
        <button type="button" className="danger" onClick={onConfirm}>
          {confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
