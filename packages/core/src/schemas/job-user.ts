/** The user an auth hook returns. `sub` reaches playbooks as DEPLOY_USER_SUB, so it is held to the safe-text rule. */
import { z } from 'zod';
import { safeText } from './fields.js';

export const JobUserSchema = z.object({
  sub: safeText(256).min(1, { error: 'must not be empty' }),
  name: safeText(256).optional(),
});
