/** This package's version, for `_debug` and the OpenAPI document. Replaced at build time. */
declare const __PACKAGE_VERSION__: string | undefined;
export const PACKAGE_VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';
