// Key-to-screen latency of `npm run bench` (issue 5, item 4): the built rscm in an 80×24 pseudo-terminal, Backup
// dialog of the Encryption Keys page open, 50 keys typed one at a time: 24 characters into the Password field, Tab,
// 24 into Confirm Password and 2 Backspaces there (at 80×24 a field shows 24 characters and then scrolls, so a key
// beyond that changes nothing on the screen). Each latency runs from writing the key to the pty until the screen (a
// headless xterm, parsed after every chunk the program writes) shows the field's new number of `*`. The baseline is the same measurement against `cat`, which
// echoes each key at once: the pty and xterm's own share.
import {performance} from 'node:perf_hooks';
import process from 'node:process';
import {setTimeout as sleep} from 'node:timers/promises';
import xterm from '@xterm/headless';
import * as pty from 'node-pty';
import {ptyEnvironment, screenText} from './pty.ts';

export type TypingOptions = {root: string; catalog: string; instanceDirectory: string; cwd: string; characters: number};
export type TypingResult = {rscm: number[]; echo: number[]};

/** The characters a password field shows at 80×24 before it scrolls. */
const fieldWidth = 24;

/** A person types a key every ~100 ms at most; 60 ms keeps keys apart (one key per read) and the run short. */
const gapMs = 60;

type Session = {
	screen: () => string;
	/** Resolves when `done(screen)` holds after some chunk; the time is that chunk's arrival. */
	until: (done: (screen: string) => boolean, timeoutMs?: number) => Promise<number>;
	write: (data: string) => void;
	close: () => void;
};

function open(command: string, args: string[], cwd: string, env: Record<string, string>): Session {
	const terminal = new xterm.Terminal({cols: 80, rows: 24, allowProposedApi: true, scrollback: 0});
	const child = pty.spawn(command, args, {name: 'xterm-256color', cols: 80, rows: 24, cwd, env: ptyEnvironment(env)});
	const screen = () => screenText(terminal);

	let waiter: {done: (screen: string) => boolean; resolve: (at: number) => void} | undefined;
	child.onData(data => {
		const at = performance.now();
		terminal.write(data, () => {
			if (waiter?.done(screen())) {
				waiter.resolve(at);
				waiter = undefined;
			}
		});
	});
	terminal.onData(data => child.write(data));
	return {
		screen,
		async until(done, timeoutMs = 15_000) {
			if (done(screen())) return performance.now();
			return new Promise((resolve, reject) => {
				const timer = setTimeout(() => reject(new Error(`no such screen within ${timeoutMs} ms:\n${screen()}`)), timeoutMs);
				waiter = {
					done,
					resolve(at) {
						clearTimeout(timer);
						resolve(at);
					},
				};
			});
		},
		write: data => child.write(data),
		close() {
			child.kill('SIGKILL');
			terminal.dispose();
		},
	};
}

async function typeAndTime(session: Session, characters: number, count: (screen: string) => number, key?: string): Promise<number[]> {
	const latencies: number[] = [];
	const start = count(session.screen());
	// A character adds one to the count; the given key (Backspace) takes one away.
	const step = key === undefined ? 1 : -1;
	for (let index = 1; index <= characters; index++) {
		const sent = performance.now();
		session.write(key ?? String.fromCodePoint(97 + (index % 26)));
		const shown = await session.until(screen => count(screen) === start + step * index);
		latencies.push(shown - sent);
		await sleep(gapMs);
	}

	return latencies;
}

/** The `*` shown in one of the dialog's two password fields: the line that names it. */
function stars(field: 'Password' | 'Confirm Password'): (screen: string) => number {
	return screen => {
		const line = screen.split('\n').find(text => (field === 'Password' ? /›?Password:/.test(text) && !/Confirm/.test(text) : /Confirm Password/.test(text))) ?? '';
		return [...line].filter(character => character === '*').length;
	};
}

export async function measureTyping(options: TypingOptions): Promise<TypingResult> {
	const rscm = open(process.execPath, [`${options.root}/dist/cli.js`], options.cwd, {
		RSCM_CATALOG: options.catalog,
		RSCM_INSTANCE_DIR: options.instanceDirectory,
	});
	let rscmLatencies: number[];
	try {
		await rscm.until(screen => screen.includes('Report Server Configuration Manager') && screen.includes('Last backup'));
		// Page 8, Encryption Keys; Enter moves into the page (Backup has the focus); Enter opens the dialog.
		rscm.write('8');
		await rscm.until(screen => screen.includes('[ Restore ]'));
		await sleep(100);
		rscm.write('\r');
		await sleep(100);
		rscm.write('\r');
		await rscm.until(screen => screen.includes('Backup Encryption Key') && /Password/.test(screen));
		await sleep(200);
		const first = Math.min(fieldWidth, options.characters);
		const second = Math.min(fieldWidth, options.characters - first);
		rscmLatencies = await typeAndTime(rscm, first, stars('Password'));
		rscm.write('\t');
		await sleep(200);
		rscmLatencies.push(...(await typeAndTime(rscm, second, stars('Confirm Password'))));
		rscmLatencies.push(...(await typeAndTime(rscm, options.characters - first - second, stars('Confirm Password'), '\u007F')));
	} finally {
		rscm.close();
	}

	const echo = open('/bin/cat', [], options.cwd, {});
	try {
		await sleep(100);
		echo.write('*');
		await echo.until(screen => screen.includes('*'));
		return {rscm: rscmLatencies, echo: await typeAndTime(echo, options.characters, screen => (screen.match(/[a-z]/g) ?? []).length)};
	} finally {
		echo.close();
	}
}
