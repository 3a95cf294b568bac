/**
 * Express 4 does not look at the promise a handler returns: a rejection would leave the request
 * unanswered and the process with an unhandled rejection. Express 5 does. Every async handler
 * of the router goes through this, so both behave the same.
 */
import type { NextFunction, Request, Response } from 'express';

export function catchRejections<R extends Request>(handler: (req: R, res: Response, next: NextFunction) => unknown) {
  return (req: R, res: Response, next: NextFunction): void => {
    try {
      Promise.resolve(handler(req, res, next)).catch(next);
    } catch (error) {
      next(error);
    }
  };
}
