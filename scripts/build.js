#!/usr/bin/env node
// Bundles the CLI into dist/ with esbuild. One bundle (plus lazily loaded chunks) keeps start-up fast: Node resolves
// and parses one file instead of hundreds in node_modules. Native and optional modules stay external.
// `--if-stale` rebuilds only when a source file is newer than the bundle, so `npm start` is quick the second time.
import {build} from 'esbuild';
import {existsSync, readdirSync, statSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const output = path.join(root, 'dist');
const entryPoints = {cli: path.join(root, 'cli.tsx'), rskeymgmt: path.join(root, 'source/commands/rskeymgmt-entry.ts')};

function newestSourceTime() {
	let newest = 0;
	const visit = dir => {
		for (const entry of readdirSync(dir, {withFileTypes: true})) {
			const full = path.join(dir, entry.name);
			if (entry.isDirectory()) visit(full);
			else newest = Math.max(newest, statSync(full).mtimeMs);
		}
	};
	visit(path.join(root, 'source'));
	for (const file of ['cli.tsx', 'package.json', 'scripts/build.js']) newest = Math.max(newest, statSync(path.join(root, file)).mtimeMs);
	return newest;
}

const bundle = path.join(output, 'cli.js');
if (process.argv.includes('--if-stale') && existsSync(bundle) && statSync(bundle).mtimeMs >= newestSourceTime()) {
	process.exit(0);
}

await build({
	entryPoints,
	outdir: output,
	bundle: true,
	splitting: true,
	format: 'esm',
	platform: 'node',
	target: 'node20',
	jsx: 'automatic',
	chunkNames: 'chunks/[name]-[hash]',
	// Native addons cannot be bundled; react-devtools-core is an optional development import of Ink.
	external: ['better-sqlite3', 'pg', 'pg-native', 'react-devtools-core'],
	define: {'process.env.NODE_ENV': '"production"'},
	banner: {
		// Bundled CommonJS dependencies call require(); give the ESM bundle one.
		js: "import {createRequire as __rscmCreateRequire} from 'node:module'; const require = __rscmCreateRequire(import.meta.url);",
	},
	legalComments: 'none',
	logLevel: 'warning',
});
