/** Turns the classic builder's `Step 3/7 : RUN make` lines into a percentage of the build. */
const STEP = /^Step (\d+)\/(\d+) :/;

export function stepProgress(line: string): { step: number; steps: number } | null {
  const match = STEP.exec(line);
  return match ? { step: Number(match[1]), steps: Number(match[2]) } : null;
}
