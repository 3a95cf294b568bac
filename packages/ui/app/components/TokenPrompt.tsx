/** Shown when the API answers 401: asks for a token and keeps it for this tab. */
import { useState } from 'react';
import { token } from '../api';

export function TokenPrompt({ onSaved }: { onSaved: () => void }) {
  const [value, setValue] = useState('');
  return (
    <div className="modal" role="dialog" aria-modal="true" aria-labelledby="token-title">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (!value.trim()) return;
          token.set(value.trim());
          onSaved();
        }}
      >
        <h2 id="token-title">Sign in</h2>
        <p>This Docker Builder needs a token. It is sent as a bearer token and kept in this tab only.</p>
        <label>
          Token
          <input type="password" autoFocus value={value} onChange={(e) => setValue(e.target.value)} autoComplete="off" />
        </label>
        <button type="submit">Continue</button>
      </form>
    </div>
  );
}
