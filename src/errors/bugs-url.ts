declare const __HOARD_BUGS_URL__: string | undefined;

/**
 * Where bugs are reported: package.json's `bugs.url`, set by the build (scripts/build.mjs) and, for
 * tests, by vitest.config.ts. A file of its own: the wrapper's bundle takes this and nothing else here.
 */
export const BUGS_URL: string = typeof __HOARD_BUGS_URL__ === 'string' ? __HOARD_BUGS_URL__ : "hoard's issue tracker";
