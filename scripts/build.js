#!/usr/bin/env node
// Bundles the CLI into dist/ with esbuild. One bundle (plus lazily loaded chunks) keeps start-up fast: Node resolves
// and parses one file instead of hundreds in node_modules. Native and optional modules stay external.
// `--if-stale` rebuilds only when a source file is newer than the bundle, so `npm start` is quick the second time.
import {build} from 'esbuild';
import {existsSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const output = path.join(root, 'dist');
const entryPoints = {
	cli: path.join(root, 'cli.tsx'),
	rskeymgmt: path.join(root, 'source/commands/rskeymgmt-entry.ts'),
	// The key change's worker thread is loaded by URL (source/core/key-change.ts workerUrl), so it is a file of its own.
	'reencrypt-worker': path.join(root, 'source/core/reencrypt-worker.ts'),
};

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

const result = await build({
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
	metafile: true,
});

// Chunk names carry a content hash, so every build leaves the previous chunks behind: remove the ones this build
// did not write (after writing the new ones, so a program started meanwhile finds every chunk it imports).
const written = new Set(Object.keys(result.metafile.outputs).map(file => path.resolve(root, file)));
const chunks = path.join(output, 'chunks');
for (const name of existsSync(chunks) ? readdirSync(chunks) : []) {
	if (!written.has(path.join(chunks, name))) rmSync(path.join(chunks, name), {force: true});
}

// `node scripts/build.js --metafile` keeps esbuild's account of what each output holds (for start-up analysis:
// npx esbuild --analyze is not needed, https://esbuild.github.io/analyze/ reads dist/meta.json).
if (process.argv.includes('--metafile')) writeFileSync(path.join(output, 'meta.json'), JSON.stringify(result.metafile));
