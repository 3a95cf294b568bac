/** What every adapter reports about itself for `GET /_debug`. Never secrets. */
export interface ComponentHealth {
  /** The adapter's name, e.g. "memory", "redis", "docker", "ansible". */
  name: string;
  ok: boolean;
  /** What is wrong and what to do about it, when `ok` is false. */
  message?: string;
  details?: Record<string, unknown>;
}
