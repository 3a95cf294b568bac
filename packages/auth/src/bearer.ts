/** The credential of a request: `Authorization: Bearer <token>`, nothing else (no query strings: they end up in logs). */
export function bearerToken(authorization: string | undefined): string | null {
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(authorization ?? '');
  return match ? match[1]! : null;
}
