import {writeSync} from 'node:fs';
import process from 'node:process';
import {RscmError} from '../errors.ts';

/** xterm private modes; every terminal an admin reaches over SSH understands them. */
export const escapes = {
	enterAlternateScreen: '\u001B[?1049h',
	leaveAlternateScreen: '\u001B[?1049l',
	showCursor: '\u001B[?25h',
} as const;

/**
 * The UI needs a terminal on both ends: keys from stdin in raw mode, a screen to draw on. A pipe, a cron job or
 * Ansible gets a clear error that points to the commands instead of a garbled screen or a hang.
 */
export function assertInteractiveTerminal(
	stdin: {isTTY?: boolean} = process.stdin,
	stdout: {isTTY?: boolean} = process.stdout,
): void {
	if (stdin.isTTY === true && stdout.isTTY === true) return;
	throw new RscmError(
		'NOT_A_TERMINAL',
		'The Configuration Manager needs a terminal (stdin and stdout must be a TTY); see `rscm --help` for the commands.',
	);
}

export type TerminalSession = {
	/** Leaves the alternate screen, shows the cursor, turns raw mode off. Safe to call more than once. */
	restore: () => void;
	readonly restored: boolean;
};

// Synchronous where possible: restore also runs from process 'exit' and fatal-error handlers, where queued
// stream writes would never be flushed. Errors are ignored: after a dropped SSH session (SIGHUP) the terminal is
// gone and there is nothing left to restore.
function writeNow(stream: NodeJS.WriteStream, text: string): void {
	try {
		const {fd} = stream as {fd?: unknown};
		if (typeof fd === 'number') writeSync(fd, text);
		else stream.write(text);
	} catch {
		// The terminal is gone.
	}
}

/** Switches to the alternate screen (the user's scroll-back stays untouched) and returns how to undo it. */
export function openTerminalSession(stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream): TerminalSession {
	writeNow(stdout, escapes.enterAlternateScreen);
	// Raw mode at once, not when Ink's first input hook mounts: keys typed during start-up would otherwise be
	// line-buffered by the terminal and arrive late, with Enter turned into a line feed.
	try {
		if (stdin.isTTY) stdin.setRawMode(true);
	} catch {
		// Not a terminal after all; Ink reports that.
	}

	let restored = false;
	return {
		get restored() {
			return restored;
		},
		restore() {
			if (restored) return;
			restored = true;
			try {
				if (stdin.isTTY) stdin.setRawMode(false);
				stdin.pause();
			} catch {
				// Stdin already closed.
			}

			// Leave the alternate screen first: the cursor-show then applies to the user's normal screen and is the
			// last thing written, whatever the UI left behind.
			writeNow(stdout, escapes.leaveAlternateScreen + escapes.showCursor);
		},
	};
}
