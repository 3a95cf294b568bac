/**
 * MULTI/EXEC and pipeline replies are lists of `[error, result]` pairs. Destructuring only the
 * results drops the errors, and a refused command (OOM, WRONGTYPE, an index out of range)
 * then surfaces later as a TypeError on `undefined`. Every reply goes through here instead.
 */
import type { ChainableCommander } from 'ioredis';

export async function execChecked(commands: ChainableCommander): Promise<unknown[]> {
  const replies = await commands.exec();
  // ioredis answers null when a WATCHed key changed; we never WATCH, so this means the transaction was discarded.
  if (replies === null) throw new Error('Redis discarded the transaction');
  return replies.map(([error, result]) => {
    if (error) throw error;
    return result;
  });
}
