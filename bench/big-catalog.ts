// Big catalogs in the commands, for `npm run bench`: `status`, `datasource list` (text and --json), `instance list`
// and `catalog copy` run as the built CLI (`node dist/cli.js …`) on a small and a 100× larger SQLite catalog, each
// in a fresh process with stdout to a file, so neither a terminal nor the bench driver is what is measured. The
// peak resident set of the CLI process itself is its VmHWM, polled from /proc while it runs (the high-water mark
// only grows, so the last reading before it exits is its peak), and its wall time from spawn to exit.
//
// The catalogs are loaded by bench/child.ts's `load` mode (three data-source values per data source; not measured).
import {spawn} from 'node:child_process';
import {closeSync, openSync, readFileSync} from 'node:fs';
import {rm} from 'node:fs/promises';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import process from 'node:process';

export type BigCatalogOptions = {
	root: string;
	/** A private temporary directory for the catalogs, the instances and the command outputs. */
	directory: string;
	/** Encrypted values of the small (baseline) and the big catalog. */
	small: number;
	big: number;
	/** Runs of each command on each catalog, alternated; medians are reported. */
	runs: number;
	log?: (message: string) => void;
};

export type CommandRun = {peakRssMiB: number; ms: number};

export type BigCatalogResult = {
	command: string;
	small: CommandRun;
	big: CommandRun;
	/** Every run, for results.json. */
	runs: {small: CommandRun[]; big: CommandRun[]};
};

/** The commands measured; `catalog copy` gets a new target each run (it refuses one that holds a catalog). */
const commands: Array<{name: string; args: (copyTarget: string) => string[]}> = [
	{name: 'status', args: () => ['status']},
	{name: 'datasource list', args: () => ['datasource', 'list']},
	{name: 'datasource list --json', args: () => ['datasource', 'list', '--json']},
	{name: 'instance list', args: () => ['instance', 'list']},
	{name: 'catalog copy', args: target => ['catalog', 'copy', '--to', target]},
];

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Runs a process to its end; rejects with its stderr when it fails. */
async function run(command: string, args: string[], options: {cwd: string; env: NodeJS.ProcessEnv; stdout: number | 'pipe'; poll?: boolean}) {
	const child = spawn(command, args, {cwd: options.cwd, env: options.env, stdio: ['ignore', options.stdout, 'pipe']});
	let stderr = '';
	child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
		stderr += chunk;
	});
	let stdout = '';
	child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
		stdout += chunk;
	});
	let peakKiB = 0;
	const readPeak = () => {
		try {
			const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
			if (match) peakKiB = Math.max(peakKiB, Number(match[1]));
		} catch {
			// Exited between two readings: the last one stands.
		}
	};

	const timer = options.poll ? setInterval(readPeak, 5) : undefined;
	const started = performance.now();
	const code = await new Promise<number | null>((resolve, reject) => {
		child.on('error', reject);
		// 'exit' comes before 'close' (which waits for the pipes): the wall time is the process's own.
		child.on('exit', resolve);
	});
	const ms = performance.now() - started;
	if (timer) clearInterval(timer);
	await new Promise(resolve => {
		if (child.stderr!.readableEnded) resolve(undefined);
		else child.stderr!.on('end', resolve);
	});
	if (code !== 0) throw new Error(`${path.basename(args[0] ?? command)} ${args.slice(1).join(' ')} exited ${code}: ${stderr}`);
	return {ms, peakRssMiB: peakKiB / 1024, stdout};
}

function environment(catalog: string, instanceDirectory: string): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {...process.env, NODE_ENV: 'production', RSCM_CATALOG: catalog, RSCM_INSTANCE_DIR: instanceDirectory};
	delete env['NODE_OPTIONS'];
	return env;
}

/** Loads, then measures every command on both catalogs. */
export async function measureBigCatalog(options: BigCatalogOptions): Promise<BigCatalogResult[]> {
	const {root, directory} = options;
	const log = options.log ?? (() => undefined);
	const sizes = {small: options.small, big: options.big} as const;
	const places = {
		small: {catalog: path.join(directory, 'big-catalog-small.db'), instance: path.join(directory, 'big-catalog-instance-small')},
		big: {catalog: path.join(directory, 'big-catalog-big.db'), instance: path.join(directory, 'big-catalog-instance-big')},
	};
	for (const size of ['small', 'big'] as const) {
		log(`big catalog: loading ${sizes[size].toLocaleString('en-US')} values into SQLite (not measured)`);
		await run(process.execPath, ['--import', 'tsx', path.join(root, 'bench/child.ts'), 'load', places[size].catalog, places[size].instance, String(sizes[size])], {
			cwd: root,
			env: {...process.env, NODE_ENV: 'production'},
			stdout: 'pipe',
		});
	}

	const cli = path.join(root, 'dist', 'cli.js');
	const output = path.join(directory, 'big-catalog-output');
	const results: BigCatalogResult[] = [];
	for (const command of commands) {
		const runs = {small: [] as CommandRun[], big: [] as CommandRun[]};
		for (let index = 0; index < options.runs; index++) {
			log(`big catalog: ${command.name}, run ${index + 1}/${options.runs}, ${sizes.small.toLocaleString('en-US')} then ${sizes.big.toLocaleString('en-US')} values`);
			for (const size of ['small', 'big'] as const) {
				const target = path.join(directory, `big-catalog-copy-${size}-${index}.db`);
				const fd = openSync(output, 'w');
				try {
					const {ms, peakRssMiB} = await run(process.execPath, [cli, ...command.args(target)], {
						cwd: root,
						env: environment(places[size].catalog, places[size].instance),
						stdout: fd,
						poll: true,
					});
					runs[size].push({ms, peakRssMiB});
				} finally {
					closeSync(fd);
					// The copy is only what the command made; it takes disk, not memory, and is not kept.
					for (const suffix of ['', '-wal', '-shm']) await rm(target + suffix, {force: true});
				}
			}
		}

		const summary = (list: CommandRun[]) => ({peakRssMiB: median(list.map(entry => entry.peakRssMiB)), ms: median(list.map(entry => entry.ms))});
		results.push({command: command.name, small: summary(runs.small), big: summary(runs.big), runs});
	}

	await rm(output, {force: true});
	return results;
}
