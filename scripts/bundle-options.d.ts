import type {BuildOptions} from 'esbuild';

/** See bundle-options.js: rscm's esbuild options and plugins, without entryPoints and outdir. */
export const bundleOptions: BuildOptions & {metafile: true};
