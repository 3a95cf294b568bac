/**
 * Submitting a job from a form: busy while it goes, the server's field issues or failure after,
 * the new job's page on success. A refused form moves focus to its first invalid field (or the
 * first message no field claims), where the keyboard and a screen reader continue.
 */
import { useEffect, useRef, useState } from 'react';
import { ApiError, postJson, type FieldIssue } from '../api';

export function useSubmit(path: 'build' | 'deploy-services', navigate: (hash: string) => void) {
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  useEffect(() => {
    if (issues.length === 0) return;
    // `data-issue` marks a message that no field claims (it needs tabIndex -1 to take focus).
    form.current?.querySelector<HTMLElement>('[aria-invalid="true"], [data-issue]')?.focus();
  }, [issues]);

  /** `send`: how to send it, when not as JSON (a build context as a tar archive). */
  const submit = async (payload: unknown, send = () => postJson<{ id: string }>(path, payload)) => {
    setBusy(true);
    setIssues([]);
    setFailure(null);
    try {
      const { id } = await send();
      navigate(`#/jobs/${id}`);
    } catch (e) {
      if (e instanceof ApiError && e.issues.length) setIssues(e.issues);
      else setFailure((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { issues, failure, busy, submit, form };
}
