/**
 * The Docker reference grammar (github.com/distribution/reference, regexp.go), ported as
 * anchored regular expressions. Everything here is plain ASCII, so unicode look-alikes of
 * `{` or `$` can never pass.
 */

const separator = '(?:[._]|__|[-]+)';
const pathComponentOf = (alphanumeric: string) => `${alphanumeric}(?:${separator}${alphanumeric})*`;
const pathComponent = pathComponentOf('[a-z0-9]+');
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const host = `(?:${domainName}|${ipv6})`;
const domain = `${host}(?::[0-9]+)?`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const repository = `(?:${domain}/)?${remoteName}`;
/**
 * Registries require lowercase paths, but the seed's documented deploy payload uses
 * placeholders such as `.../PROJECT/REPO/rag-service:tag`. Deploy mappings only reach a
 * playbook, never a registry, so they may use uppercase; builds we push may not.
 */
const mixedCaseComponent = pathComponentOf('[A-Za-z0-9]+');
const mixedCaseRepository = `(?:${domain}/)?${mixedCaseComponent}(?:/${mixedCaseComponent})*`;

/** Longest repository name the registry API accepts. */
export const MAX_REPOSITORY_LENGTH = 255;

export const TAG_PATTERN = new RegExp(`^${tag}$`);
/** A service id is one path component: what `rag-service` is in `.../REPO/rag-service:tag`. */
export const SERVICE_ID_PATTERN = new RegExp(`^${pathComponent}$`);
export const REPOSITORY_PATTERN = new RegExp(`^${repository}$`);
export const IMAGE_REFERENCE_PATTERN = new RegExp(`^(${repository})(?::(${tag}))?(?:@(${digest}))?$`);
const MIXED_CASE_IMAGE_REFERENCE_PATTERN = new RegExp(`^(${mixedCaseRepository})(?::(${tag}))?(?:@(${digest}))?$`);

export interface ParsedImageReference {
  repository: string;
  tag?: string;
  digest?: string;
}

export function parseImageReference(
  reference: string,
  options: { allowUppercasePath?: boolean } = {},
): ParsedImageReference | null {
  const pattern = options.allowUppercasePath ? MIXED_CASE_IMAGE_REFERENCE_PATTERN : IMAGE_REFERENCE_PATTERN;
  const match = pattern.exec(reference);
  if (!match || match[1]!.length > MAX_REPOSITORY_LENGTH) return null;
  const parsed: ParsedImageReference = { repository: match[1]! };
  if (match[2] !== undefined) parsed.tag = match[2];
  if (match[3] !== undefined) parsed.digest = match[3];
  return parsed;
}
