#!/usr/bin/env node
// Bundles the CLI into dist/ with esbuild. One bundle (plus lazily loaded chunks) keeps start-up fast: Node resolves
// and parses one file instead of hundreds in node_modules. Native and optional modules stay external.
// `--if-stale` rebuilds only when a source file is newer than the bundle, so `npm start` is quick the second time.
import {build} from 'esbuild';
import {spawnSync} from 'node:child_process';
import {existsSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

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
	for (const file of ['cli.tsx', 'package.json', 'scripts/build.js']) newest = Math.max(newest, statSync(path.join(root, file)).mtimeMs);
	return newest;
}

const bundle = path.join(output, 'cli.js');
if (process.argv.includes('--if-stale') && existsSync(bundle) && statSync(bundle).mtimeMs >= newestSourceTime()) {
	process.exit(0);
}

// Yoga's Emscripten loader (Ink's layout engine) asks `typeof fetch` before it decodes its embedded wasm, and then
// fetches its own data: URL. On Node that first touch of `fetch` loads undici, ~35 ms of every start-up. A module-local
// `fetch` that is undefined sends the loader down its other path: it decodes the base64 it already holds.
// The build fails if the file stops matching, so an upgrade of yoga-layout cannot silently lose this.
const yogaWithoutFetch = {
	name: 'yoga-without-fetch',
	setup(builder) {
		builder.onLoad({filter: /yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/}, async arguments_ => {
			const source = await readFile(arguments_.path, 'utf8');
			if (!source.includes('"function"!=typeof fetch')) throw new Error(`${arguments_.path}: the fetch check this build removes is gone; review scripts/build.js`);
			return {contents: `const fetch = undefined;\n${source}`, loader: 'js'};
		});
	},
};

// Ink measures every line with string-width, whose general algorithm costs ~50 ms of start-up to build and first run.
// Its imports get a facade that answers the text rscm draws with source/ui/text-width.ts and loads the real module,
// unchanged, on the first text it cannot answer. Only string-width 8 and later: the older copy under wrap-ansi counts
// text-style emoji such as ✔ and © as two columns, so it keeps its own answers (test/ui/text-width.test.ts compares).
const narrowTextWidth = {
	name: 'narrow-text-width',
	setup(builder) {
		builder.onResolve({filter: /^string-width$/}, async arguments_ => {
			if (arguments_.namespace === 'text-width-facade') return undefined;
			const real = await builder.resolve(arguments_.path, {resolveDir: arguments_.resolveDir, kind: arguments_.kind, namespace: 'text-width-facade'});
			const {version} = JSON.parse(await readFile(path.join(path.dirname(real.path), 'package.json'), 'utf8'));
			return Number.parseInt(version, 10) >= 8 ? {path: real.path, namespace: 'text-width-facade'} : real;
		});
		builder.onLoad({filter: /.*/, namespace: 'text-width-facade'}, arguments_ => ({
			contents: [
				`import {oneColumnTextWidth} from ${JSON.stringify(path.join(root, 'source/ui/text-width.ts'))};`,
				'let general;',
				'export default function stringWidth(text, options) {',
				'\tconst width = options === undefined && typeof text === "string" ? oneColumnTextWidth(text) : undefined;',
				'\tif (width !== undefined) return width;',
				`\tgeneral ??= require(${JSON.stringify(arguments_.path)}).default;`,
				'\treturn general(text, options);',
				'}',
			].join('\n'),
			resolveDir: root,
			loader: 'js',
		}));
	},
};

// zxcvbn-ts ships CommonJS (`main`) and ES modules (`module`); esbuild takes `main` on Node, and a CommonJS module
// reached by a dynamic import() comes back as a bare `default`, without its named exports. Its ES modules keep them,
// and password-strength.ts imports them dynamically so that the dictionaries stay chunks of their own.
const zxcvbnModules = {
	name: 'zxcvbn-modules',
	setup(builder) {
		builder.onResolve({filter: /^@zxcvbn-ts\/[^/]+$/}, async arguments_ => {
			const directory = path.join(root, 'node_modules', arguments_.path);
			const {module} = JSON.parse(await readFile(path.join(directory, 'package.json'), 'utf8'));
			if (typeof module !== 'string') throw new Error(`${arguments_.path} has no ES module build (package.json "module"); review scripts/build.js`);
			return {path: path.join(directory, module)};
		});
	},
};

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
	external: ['better-sqlite3', 'pg', 'pg-native', 'mariadb', 'react-devtools-core'],
	define: {'process.env.NODE_ENV': '"production"'},
	banner: {
		// Bundled CommonJS dependencies call require(); give the ESM bundle one.
		js: "import {createRequire as __rscmCreateRequire} from 'node:module'; const require = __rscmCreateRequire(import.meta.url);",
	},
	legalComments: 'none',
	logLevel: 'warning',
	metafile: true,
	plugins: [yogaWithoutFetch, narrowTextWidth, zxcvbnModules],
});

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
