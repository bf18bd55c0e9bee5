declare const __HOARD_VERSION__: string | undefined;

/** Set by the build from package.json; "dev" when running from source (tests). */
export const HOARD_VERSION: string = typeof __HOARD_VERSION__ === 'string' ? __HOARD_VERSION__ : 'dev';
