// esbuild's options for rscm's bundle, with the plugins it needs (scripts/build.js runs the build).
import {readFile} from 'node:fs/promises';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

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

/**
 * How rscm is bundled, apart from what is bundled (entryPoints) and where to (outdir): scripts/build.js bundles the
 * CLI with these, and test/e2e/shell.test.ts its test-only entry, so that the shell it drives is built as shipped.
 */
export const bundleOptions = {
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
};
