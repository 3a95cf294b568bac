/** A key prefix no other test or run shares; with a hash tag, so it is Cluster-shaped too. */
export function uniquePrefix(label: string): string {
  return `{dbt-${label}-${process.pid}-${Math.random().toString(36).slice(2, 8)}}:`;
}
