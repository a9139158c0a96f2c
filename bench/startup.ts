// Start-up of `npm run bench`: time from spawn to the first complete frame in an 80×24 pseudo-terminal, read back
// through a headless xterm as a person would see it. The screen is checked after every chunk the program writes
// (not on a polling timer), so the time is that of the chunk that completed the frame.
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import process from 'node:process';
import xterm from '@xterm/headless';
import * as pty from 'node-pty';
import {ptyEnvironment, screenText} from './pty.ts';

export type StartupOptions = {root: string; catalog: string; instanceDirectory: string; runs: number};
export type StartupResult = {rscm: number; ink: number; frame: string; rscmRuns: number[]; inkRuns: number[]};

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Milliseconds from spawn until `complete(screen)` holds; the program is killed then. */
export async function timeToFrame(
	command: string,
	args: string[],
	env: Record<string, string>,
	complete: (screen: string) => boolean,
	timeoutMs = 15_000,
): Promise<{ms: number; screen: string}> {
	const terminal = new xterm.Terminal({cols: 80, rows: 24, allowProposedApi: true, scrollback: 0});
	const screen = () => screenText(terminal);

	const started = performance.now();
	const child = pty.spawn(command, args, {name: 'xterm-256color', cols: 80, rows: 24, cwd: process.cwd(), env: ptyEnvironment(env)});
	try {
		return await new Promise((resolve, reject) => {
			let done = false;
			const timer = setTimeout(() => {
				done = true;
				reject(new Error(`${path.basename(args[0] ?? command)}: no complete frame within ${timeoutMs} ms. Screen:\n${screen()}`));
			}, timeoutMs);
			child.onData(data => {
				// The arrival time of the chunk, before xterm's asynchronous parse.
				const at = performance.now();
				terminal.write(data, () => {
					if (done) return;
					const text = screen();
					if (complete(text)) {
						done = true;
						clearTimeout(timer);
						resolve({ms: at - started, screen: text});
					}
				});
			});
			terminal.onData(data => child.write(data));
			child.onExit(({exitCode}) => {
				if (done) return;
				done = true;
				clearTimeout(timer);
				reject(new Error(`${path.basename(args[0] ?? command)} exited ${exitCode} before a complete frame. Screen:\n${screen()}`));
			});
		});
	} finally {
		child.kill('SIGKILL');
		terminal.dispose();
	}
}

/**
 * What counts as rscm's first complete frame: the title line, the navigation list (its first entry, selected), the
 * Status page down to its "Last backup" row, the Results pane and the key-hint line. The list is not checked for
 * every page, since pages are still being added to it.
 */
export function rscmFrameComplete(screen: string): boolean {
	return (
		screen.includes('Report Server Configuration Manager') &&
		screen.includes('1 Report Server Status') &&
		screen.includes('Last backup') &&
		screen.includes('Results') &&
		screen.includes('quit')
	);
}

export async function measureStartup(options: StartupOptions): Promise<StartupResult> {
	const rscmEnv = {RSCM_CATALOG: options.catalog, RSCM_INSTANCE_DIR: options.instanceDirectory};
	const rscmArgs = [path.join(options.root, 'dist/cli.js')];
	const inkArgs = [path.join(options.root, 'bench/fixtures/ink-hello.js')];
	const inkComplete = (screen: string) => screen.includes('Hello from Ink');
	// One untimed start of each: the page cache holds both programs and their modules from then on.
	await timeToFrame(process.execPath, rscmArgs, rscmEnv, rscmFrameComplete);
	await timeToFrame(process.execPath, inkArgs, {}, inkComplete);
	const rscmRuns: number[] = [];
	const inkRuns: number[] = [];
	for (let run = 0; run < options.runs; run++) {
		rscmRuns.push((await timeToFrame(process.execPath, rscmArgs, rscmEnv, rscmFrameComplete)).ms);
		inkRuns.push((await timeToFrame(process.execPath, inkArgs, {}, inkComplete)).ms);
	}

	return {rscm: median(rscmRuns), ink: median(inkRuns), frame: 'title, list, Status page, Results, key hints', rscmRuns, inkRuns};
}
