import process from 'node:process';
import {setTimeout as delay} from 'node:timers/promises';
import xterm from '@xterm/headless';
import * as pty from 'node-pty';
import {navigationWidth} from '../../source/ui/layout.ts';

/**
 * A program in a real pseudo-terminal, read back through a headless xterm of the same size: the test sees the
 * screen a person would see (after cursor moves, clears and the alternate screen), and can still inspect the raw
 * bytes for escape codes.
 */

export const keys = {
	up: '\u001B[A',
	down: '\u001B[B',
	right: '\u001B[C',
	left: '\u001B[D',
	enter: '\r',
	tab: '\t',
	shiftTab: '\u001B[Z',
	esc: '\u001B',
	space: ' ',
	ctrlC: '\u0003',
	// What a terminal sends for the Backspace key (DEL).
	backspace: '\u007F',
} as const;

export type KeyName = keyof typeof keys;

export type TermOptions = {
	cols?: number;
	rows?: number;
	cwd?: string;
	/** Added to the child's environment; `undefined` removes a variable. */
	env?: Record<string, string | undefined>;
};

export type TermExit = {exitCode: number; signal: number | undefined};

export type Term = {
	/** The visible lines, right-trimmed. */
	screen: () => string;
	waitForText: (text: string | RegExp, timeoutMs?: number) => Promise<void>;
	/** Waits until the text is no longer on the screen. */
	waitForNoText: (text: string | RegExp, timeoutMs?: number) => Promise<void>;
	/** Sends keys one at a time: names from `keys`, anything else as literal text. */
	press: (...sequence: Array<KeyName | (string & {})>) => Promise<void>;
	/** Sends text as one chunk, as a paste arrives. */
	type: (text: string) => void;
	resize: (cols: number, rows: number) => void;
	/** Everything the program wrote, escape codes included. */
	rawOutput: () => string;
	exit: Promise<TermExit>;
	kill: (signal?: string) => void;
	dispose: () => void;
	readonly pid: number;
};

// Ink renders only the final frame when it believes it runs in CI (is-in-ci reads these), and CI runs the tests
// with CI=true: the child must not inherit them. Colour variables are cleared so each test states what it wants.
const inheritedVariablesToDrop = ['CI', 'CONTINUOUS_INTEGRATION', 'NO_COLOR', 'FORCE_COLOR', 'COLORTERM', 'NODE_OPTIONS'];

export function childEnvironment(extra: Record<string, string | undefined> = {}): Record<string, string> {
	const env: Record<string, string | undefined> = {...process.env};
	for (const name of inheritedVariablesToDrop) delete env[name];
	env['TERM'] = 'xterm-256color';
	// A UTF-8 locale, whatever the machine's: under LANG=C the manager draws ASCII (tests that want it say so).
	delete env['LC_ALL'];
	delete env['LC_CTYPE'];
	env['LANG'] = 'C.UTF-8';
	// Not started by `npm start`, whatever ran the tests: the Backup dialog suggests the working directory.
	delete env['npm_lifecycle_event'];
	Object.assign(env, extra);
	return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

// Keys are sent one by one with a pause, as a person types: an Esc followed at once by a letter in the same read
// would be parsed as Alt+letter.
const keyGapMs = 40;

export function spawnTerm(command: string, args: readonly string[] = [], options: TermOptions = {}): Term {
	const cols = options.cols ?? 80;
	const rows = options.rows ?? 24;
	const terminal = new xterm.Terminal({cols, rows, allowProposedApi: true, scrollback: 0});
	const child = pty.spawn(command, [...args], {
		name: 'xterm-256color',
		cols,
		rows,
		cwd: options.cwd ?? process.cwd(),
		env: childEnvironment(options.env),
	});
	let raw = '';
	let running = true;
	child.onData(data => {
		raw += data;
		terminal.write(data);
	});
	// Answers to terminal queries (device attributes and the like) go back to the program, as a real terminal's do.
	const replies = terminal.onData(data => {
		if (running) child.write(data);
	});
	const exit = new Promise<TermExit>(resolve => {
		child.onExit(({exitCode, signal}) => {
			running = false;
			resolve({exitCode, signal});
		});
	});

	const screen = () => {
		const buffer = terminal.buffer.active;
		const lines: string[] = [];
		for (let row = 0; row < terminal.rows; row++) {
			lines.push(buffer.getLine(buffer.viewportY + row)?.translateToString(true) ?? '');
		}

		return lines.join('\n');
	};

	// xterm parses asynchronously: flush its queue before reading so the screen matches every byte received.
	const flush = async () =>
		new Promise<void>(resolve => {
			terminal.write('', resolve);
		});

	const matches = (text: string | RegExp) => {
		const current = screen();
		return typeof text === 'string' ? current.includes(text) : text.test(current);
	};

	// Ink draws each frame between "begin/end synchronized update" codes, and a large frame can arrive in several
	// reads. A terminal shows nothing of a frame until its end; the waits do the same, so a test that found one line
	// of a frame can read the rest of it at once (unless the program exited half-way through one).
	const frameComplete = () => !running || !terminal.modes.synchronizedOutputMode;

	const waitUntil = async (condition: () => boolean, describe: () => string, timeoutMs: number) => {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			await flush();
			if (frameComplete() && condition()) return;
			if (Date.now() > deadline) throw new Error(`${describe()} within ${timeoutMs} ms. Screen:\n${screen()}`);
			await delay(20);
		}
	};

	return {
		get pid() {
			return child.pid;
		},
		screen,
		waitForText: async (text, timeoutMs = 10_000) =>
			waitUntil(() => matches(text), () => `Text ${String(text)} did not appear`, timeoutMs),
		waitForNoText: async (text, timeoutMs = 10_000) =>
			waitUntil(() => !matches(text), () => `Text ${String(text)} did not go away`, timeoutMs),
		async press(...sequence) {
			for (const key of sequence) {
				child.write(key in keys ? keys[key as KeyName] : key);
				await delay(keyGapMs);
			}
		},
		type(text) {
			child.write(text);
		},
		resize(newCols, newRows) {
			terminal.resize(newCols, newRows);
			child.resize(newCols, newRows);
		},
		rawOutput: () => raw,
		exit,
		kill(signal = 'SIGTERM') {
			if (running) child.kill(signal);
		},
		dispose() {
			if (running) child.kill('SIGKILL');
			replies.dispose();
			terminal.dispose();
		},
	};
}

/**
 * The page column of an 80-column screen (right of the navigation list), box borders gone and wrapped
 * lines joined, so a sentence that wrapped inside a page or dialog reads as written.
 */
export function pageText(screen: string): string {
	return screen
		.split('\n')
		.map(line => line.slice(navigationWidth))
		.join('\n')
		.replaceAll(/[┃│┏┓┗┛━─┌┐└┘]/g, ' ')
		.replaceAll(/\s+/g, ' ');
}
