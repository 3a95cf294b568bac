/** Build contexts for the tests, written into a fresh context root. */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BASE_IMAGE } from '../../../test-support/docker-engine.js';

export function makeContextRoot(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'ctx-'));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  write(
    'multistage/Dockerfile',
    `FROM ${BASE_IMAGE} AS builder
ARG GREETING=hello
RUN echo "$GREETING from the builder" > /greeting
FROM ${BASE_IMAGE} AS runtime
COPY --from=builder /greeting /greeting
CMD ["sh", "-c", "cat /greeting; test -e /debug && echo has-debug || echo no-debug"]
FROM runtime AS debug
RUN echo debug > /debug
`,
  );
  write('ignoring/Dockerfile', `FROM ${BASE_IMAGE}\nCOPY . /ctx\nCMD ["find", "/ctx", "-type", "f"]\n`);
  write('ignoring/.dockerignore', 'secret.txt\nbuild/\n*.log\n!build/keep.txt\n');
  write('ignoring/app.txt', 'app\n');
  write('ignoring/secret.txt', 'do not send\n');
  write('ignoring/debug.log', 'noise\n');
  write('ignoring/build/output.bin', 'big\n');
  write('ignoring/build/keep.txt', 'an exception to build/\n');
  write('simple/Dockerfile', `FROM ${BASE_IMAGE}\nRUN echo step two\nCMD ["echo", "simple"]\n`);
  write('failing/Dockerfile', `FROM ${BASE_IMAGE}\nRUN echo before the failure\nRUN exit 3\n`);
  write('slow/Dockerfile', `FROM ${BASE_IMAGE}\nRUN echo sleeping && sleep 60\n`);
  write('silent/Dockerfile', `FROM ${BASE_IMAGE}\nRUN sleep 3\nRUN echo awake\n`);
  write('nodockerfile/README', 'no Dockerfile here\n');
  mkdirSync(path.join(root, 'links'));
  symlinkSync('/etc', path.join(root, 'links/escape'));
  return root;
}
