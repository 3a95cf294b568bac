/** Submitting a job from a form: busy while it goes, the server's field issues or failure after, the new job's page on success. */
import { useState } from 'react';
import { ApiError, postJson, type FieldIssue } from '../api';

export function useSubmit(path: 'build' | 'deploy-services', navigate: (hash: string) => void) {
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (payload: unknown) => {
    setBusy(true);
    setIssues([]);
    setFailure(null);
    try {
      const { id } = await postJson<{ id: string }>(path, payload);
      navigate(`#/jobs/${id}`);
    } catch (e) {
      if (e instanceof ApiError && e.issues.length) setIssues(e.issues);
      else setFailure((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { issues, failure, busy, submit };
}
