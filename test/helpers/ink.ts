import {setTimeout as delay} from 'node:timers/promises';
import type {render} from 'ink-testing-library';
import {keys, type KeyName} from './term.ts';

type Rendered = ReturnType<typeof render>;

/**
 * Lets React commit and run its effects. A few event-loop turns, not a timer: effects are scheduled with
 * setImmediate, and the frame is written synchronously in debug mode.
 */
export async function settle(): Promise<void> {
	for (let turn = 0; turn < 5; turn++) await new Promise(resolve => setImmediate(resolve));
	await delay(5);
}

/**
 * Lets React and the key queue run until `condition` holds, or gives up after `timeoutMs` (the caller's assertion
 * then fails with its own message). For keys written in one chunk: each waits for the commit of the one before.
 */
export async function settleUntil(condition: () => boolean, timeoutMs = 2000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition() && Date.now() < deadline) await settle();
}

/**
 * Waits until Ink listens to stdin (its input effect has run): a key written before that is lost. Gives up
 * quietly, since a component that is meant to ignore keys never listens.
 */
export async function listening(rendered: Rendered, timeoutMs = 300): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (rendered.stdin.listenerCount('readable') === 0 && Date.now() < deadline) await delay(5);
}

/** Sends keys one at a time (names from the pty harness, anything else literal) and lets each take effect. */
export async function press(rendered: Rendered, ...sequence: Array<KeyName | (string & {})>): Promise<void> {
	await listening(rendered);
	for (const key of sequence) {
		rendered.stdin.write(key in keys ? keys[key as KeyName] : key);
		await settle();
	}
}

/**
 * ink-testing-library's stdout is always 100 columns and has no rows; give it a size and announce it the way a
 * terminal does (a 'resize' event), so the shell re-lays itself out.
 */
export async function resize(rendered: Rendered, columns: number, rows: number): Promise<void> {
	Object.defineProperty(rendered.stdout, 'columns', {value: columns, configurable: true});
	Object.defineProperty(rendered.stdout, 'rows', {value: rows, configurable: true});
	rendered.stdout.emit('resize');
	await settle();
}

export function frame(rendered: Rendered): string {
	return rendered.lastFrame() ?? '';
}
