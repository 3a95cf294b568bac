/** New deploy: a mappings editor (service → image:tag rows); errors appear at the row they concern. */
import { useState } from 'react';
import type { FieldIssue } from '../api';
import { ErrorBox } from './bits';
import { fieldOf } from './field-errors';
import { useSubmit } from './use-submit';

interface Row {
  service: string;
  image: string;
}

export function rowErrors(rows: Row[], issues: FieldIssue[]): { byRow: Array<{ service?: string; image?: string }>; general: string[] } {
  const byRow: Array<{ service?: string; image?: string }> = rows.map(() => ({}));
  const general: string[] = [];
  for (const issue of issues) {
    const { field, key } = fieldOf(issue.path);
    const row = key === null ? -1 : rows.findIndex((r) => r.service.trim() === key);
    if (field === 'mappings' && row >= 0) {
      if (issue.message.startsWith('key ')) byRow[row]!.service ??= issue.message.slice(4);
      else byRow[row]!.image ??= issue.message;
    } else general.push(issue.path ? `${issue.path}: ${issue.message}` : issue.message);
  }
  return { byRow, general };
}

export function DeployForm({ navigate }: { navigate: (hash: string) => void }) {
  const [rows, setRows] = useState<Row[]>([{ service: '', image: '' }]);
  const { issues, failure, busy, submit, form } = useSubmit('deploy-services', navigate);
  const { byRow, general } = rowErrors(rows, issues);
  const update = (index: number, patch: Partial<Row>) => setRows(rows.map((row, i) => (i === index ? { ...row, ...patch } : row)));

  return (
    <section aria-labelledby="deploy-title">
      <h1 id="deploy-title">New deploy</h1>
      <form
        ref={form}
        className="form"
        onSubmit={(event) => {
          event.preventDefault();
          const mappings = Object.fromEntries(rows.filter((r) => r.service.trim() || r.image.trim()).map((r) => [r.service.trim(), r.image.trim()]));
          void submit({ mappings });
        }}
      >
        <fieldset>
          <legend>Mappings: service → image</legend>
          {rows.map((row, index) => (
            <div className="mapping-row" key={index} data-row={index}>
              <label className={byRow[index]?.service ? 'invalid' : undefined}>
                Service
                <input
                  name={`service-${index}`}
                  value={row.service}
                  placeholder="rag-service"
                  onChange={(e) => update(index, { service: e.target.value })}
                  aria-invalid={Boolean(byRow[index]?.service)}
                />
                {byRow[index]?.service && <span className="field-error">{byRow[index]!.service}</span>}
              </label>
              <label className={byRow[index]?.image ? 'invalid' : undefined}>
                Image
                <input
                  name={`image-${index}`}
                  value={row.image}
                  placeholder="registry/repo/rag-service:20251025-111006"
                  onChange={(e) => update(index, { image: e.target.value })}
                  aria-invalid={Boolean(byRow[index]?.image)}
                />
                {byRow[index]?.image && <span className="field-error">{byRow[index]!.image}</span>}
              </label>
              <button type="button" className="link" aria-label={`Remove row ${index + 1}`} disabled={rows.length === 1} onClick={() => setRows(rows.filter((_, i) => i !== index))}>
                Remove
              </button>
            </div>
          ))}
          <button type="button" className="link" onClick={() => setRows([...rows, { service: '', image: '' }])}>
            + Add a service
          </button>
        </fieldset>
        {general.map((message) => (
          <p className="field-error" key={message} tabIndex={-1} data-issue="">
            {message}
          </p>
        ))}
        {failure && <ErrorBox title="The deploy was not accepted" message={failure} />}
        <button type="submit" disabled={busy}>
          {busy ? 'Submitting…' : 'Deploy'}
        </button>
      </form>
    </section>
  );
}
