#!/usr/bin/env node
// Bundles the CLI into dist/ with esbuild. One bundle (plus lazily loaded chunks) keeps start-up fast: Node resolves
// and parses one file instead of hundreds in node_modules. Native and optional modules stay external.
// `--if-stale` rebuilds only when a source file is newer than the bundle, so `npm start` is quick the second time.
import {build} from 'esbuild';
import {spawnSync} from 'node:child_process';
import {existsSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {bundleOptions} from './bundle-options.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const output = path.join(root, 'dist');
const entryPoints = {
	cli: path.join(root, 'cli.tsx'),
	rskeymgmt: path.join(root, 'source/commands/rskeymgmt-entry.ts'),
	// The key change's worker thread is loaded by URL (source/core/worker-thread.ts), so it is a file of its own.
	'reencrypt-worker': path.join(root, 'source/core/reencrypt-worker.ts'),
	// The Backup dialog's strength estimates run in a worker thread, loaded by URL (source/core/password-strength.ts).
	'password-strength-worker': path.join(root, 'source/core/password-strength-worker.ts'),
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
	for (const file of ['cli.tsx', 'package.json', 'scripts/build.js', 'scripts/bundle-options.js']) newest = Math.max(newest, statSync(path.join(root, file)).mtimeMs);
	return newest;
}

const bundle = path.join(output, 'cli.js');
if (process.argv.includes('--if-stale') && existsSync(bundle) && statSync(bundle).mtimeMs >= newestSourceTime()) {
	process.exit(0);
}

const result = await build({...bundleOptions, entryPoints, outdir: output});

// Chunk names carry a content hash, so every build leaves the previous chunks behind: remove the ones this build
// did not write (after writing the new ones, so a program started meanwhile finds every chunk it imports).
const written = new Set(Object.keys(result.metafile.outputs).map(file => path.resolve(root, file)));
const chunks = path.join(output, 'chunks');
for (const name of existsSync(chunks) ? readdirSync(chunks) : []) {
	if (!written.has(path.join(chunks, name))) rmSync(path.join(chunks, name), {force: true});
}

// The man page (dist/rscm.1, package.json's `man`) is written from the command table, which is TypeScript: tsx
// runs the generator in a process of its own, so the table's imports never load into the build.
const man = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/man.ts')], {cwd: root, stdio: 'inherit'});
if (man.status !== 0) throw new Error(`scripts/man.ts failed (${man.error?.message ?? `exit ${man.status ?? man.signal}`}): dist/rscm.1 was not written.`);

// `node scripts/build.js --metafile` keeps esbuild's account of what each output holds (for start-up analysis:
// npx esbuild --analyze is not needed, https://esbuild.github.io/analyze/ reads dist/meta.json).
if (process.argv.includes('--metafile')) writeFileSync(path.join(output, 'meta.json'), JSON.stringify(result.metafile));
