// @vitest-environment happy-dom
import { cleanup, fireEvent, render, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BuildForm, toBuildPayload } from '../app/components/BuildForm';
import { DeployForm, rowErrors } from '../app/components/DeployForm';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

/** The server, answering the way the real router does (a test double for fetch, on purpose). */
function serverAnswers(status: number, body: unknown) {
  const calls: Array<{ url: string; body: unknown }> = [];
  vi.stubGlobal('fetch', async (url: string | URL, init?: RequestInit) => {
    const href = String(url);
    if (href.endsWith('ui-config.json')) return new Response('{"api":"api"}', { status: 200 });
    calls.push({ url: href, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  });
  return calls;
}

describe('the deploy form', () => {
  beforeEach(() => sessionStorage.clear());

  it('sends the mappings, and shows the server\'s error at the row it concerns', async () => {
    const calls = serverAnswers(400, {
      error: {
        code: 'VALIDATION_FAILED',
        message: 'mappings.agent-service: must not contain template syntax ({{, {%, {#)',
        issues: [{ path: 'mappings.agent-service', message: 'must not contain template syntax ({{, {%, {#)' }],
      },
    });
    const view = render(<DeployForm navigate={() => undefined} />);
    fireEvent.change(view.container.querySelector('input[name=service-0]')!, { target: { value: 'rag-service' } });
    fireEvent.change(view.container.querySelector('input[name=image-0]')!, { target: { value: 'r/rag:1' } });
    fireEvent.click(view.getByText('+ Add a service'));
    fireEvent.change(view.container.querySelector('input[name=service-1]')!, { target: { value: 'agent-service' } });
    fireEvent.change(view.container.querySelector('input[name=image-1]')!, { target: { value: 'img:{{ x }}' } });
    fireEvent.click(view.getByRole('button', { name: 'Deploy' }));
    await waitFor(() => expect(view.container.querySelector('[data-row="1"] .field-error')?.textContent).toBe('must not contain template syntax ({{, {%, {#)'));
    expect(view.container.querySelector('[data-row="0"] .field-error')).toBeNull();
    expect(view.container.querySelector('input[name=image-1]')?.getAttribute('aria-invalid')).toBe('true');
    expect(calls[0]).toMatchObject({ url: expect.stringMatching(/\/api\/deploy-services$/), body: { mappings: { 'rag-service': 'r/rag:1', 'agent-service': 'img:{{ x }}' } } });
  });

  it('navigates to the new job when the server accepts it', async () => {
    serverAnswers(202, { id: '01a2111d-4461-7000-8638-ed7a3732f6e8', enqueued: true });
    const navigate = vi.fn();
    const view = render(<DeployForm navigate={navigate} />);
    fireEvent.change(view.container.querySelector('input[name=service-0]')!, { target: { value: 'rag-service' } });
    fireEvent.change(view.container.querySelector('input[name=image-0]')!, { target: { value: 'r/rag:1' } });
    fireEvent.click(view.getByRole('button', { name: 'Deploy' }));
    await waitFor(() => expect(navigate).toHaveBeenCalledWith('#/jobs/01a2111d-4461-7000-8638-ed7a3732f6e8'));
  });

  it('puts key errors on the service field and unplaceable ones above', () => {
    const rows = [{ service: 'Bad Name', image: 'x:1' }];
    expect(rowErrors(rows, [{ path: 'mappings["Bad Name"]', message: 'key must be a service name' }, { path: 'mappings', message: 'must map at most 200 services' }])).toEqual({
      byRow: [{ service: 'must be a service name' }],
      general: ['mappings: must map at most 200 services'],
    });
  });
});

describe('the build form', () => {
  it('turns its fields into a payload', () => {
    expect(
      toBuildPayload({
        service: ' rag-service ', context: 'services/rag', dockerfile: 'Dockerfile', image: '', tags: '1.0, latest', target: '',
        buildArgs: 'NODE=20\nGREETING=a=b', push: false, noCache: true, pull: false,
      }),
    ).toEqual({ service: 'rag-service', context: 'services/rag', dockerfile: 'Dockerfile', tags: ['1.0', 'latest'], buildArgs: { NODE: '20', GREETING: 'a=b' }, push: false, noCache: true, pull: false });
  });

  it('shows the server\'s errors next to each field', async () => {
    serverAnswers(400, {
      error: {
        code: 'VALIDATION_FAILED',
        message: 'service: must be a service name',
        issues: [
          { path: 'service', message: 'must be a service name' },
          { path: 'tags[0]', message: 'must not start with "-"' },
        ],
      },
    });
    const view = render(<BuildForm navigate={() => undefined} />);
    fireEvent.change(view.container.querySelector('input[name=service]')!, { target: { value: 'Rag' } });
    fireEvent.click(view.getByRole('button', { name: 'Build' }));
    await waitFor(() => expect(view.container.querySelector('#service-error')?.textContent).toBe('service: must be a service name'));
    expect(view.container.querySelector('#tags-error')?.textContent).toBe('tags[0]: must not start with "-"');
  });
});
