import {closeSync, constants as fsConstants, openSync, readSync, type Stats} from 'node:fs';
import {open, stat, type FileHandle} from 'node:fs/promises';
import process from 'node:process';
import {StringDecoder} from 'node:string_decoder';
import {setTimeout as delay} from 'node:timers/promises';
import type {Readable} from 'node:stream';
import {RscmError} from '../errors.ts';
import {exceedsBytes, formatSize, inputLimits, inputTooLarge} from '../core/input-limits.ts';
import {displayText} from '../core/terminal-text.ts';
import {fileError} from '../files/file-error.ts';
import {stdinIsTerminal, type CommandIo} from './command-io.ts';
import {discardBuffered, readLine} from './stdin-lines.ts';

export type PasswordSource = {
	passwordStdin?: boolean | undefined;
	passwordFile?: string | undefined;
};

/** How long `--password-file` waits for a program to open a FIFO for writing (README, Commands: Passwords). */
export const fifoWriterWaitMs = 10_000;

/** How often a FIFO without data is polled: its read never blocks, so a signal is seen within this time. */
const fifoPollMs = 25;

export const typeAheadNotice = '(input typed before the prompt was discarded)';

const passwordHint = `A password is one line of at most ${formatSize(inputLimits.password)}.`;

/**
 * A password from the first line of stdin, the first line of a file, or a no-echo prompt on a terminal — never
 * from argv, where `ps` and shell history would show it to everyone. Each source reads one line of at most
 * inputLimits.password bytes and no more, and each wait ends at once on SIGINT, SIGTERM or SIGHUP (io.signal).
 */
export async function readPassword(io: CommandIo, source: PasswordSource, prompt: string, confirmPrompt?: string): Promise<{password: string; confirm: string | undefined}> {
	if (source.passwordStdin) {
		const line = await readLine(io.stdin, {
			maxBytes: inputLimits.password,
			what: 'The first line of stdin (--password-stdin)',
			hint: passwordHint,
			signal: io.signal,
		});
		if (line === undefined) throw new RscmError('USAGE', '--password-stdin was given but stdin is empty.');
		return {password: line, confirm: undefined};
	}

	if (source.passwordFile) return {password: await readPasswordFile(source.passwordFile, {signal: io.signal}), confirm: undefined};

	if (!stdinIsTerminal(io)) {
		throw new RscmError('USAGE', 'A password is needed: stdin is not a terminal, so give --password-stdin or --password-file PATH.');
	}

	const [password, confirmation] = await promptHiddenLines(io, confirmPrompt === undefined ? [prompt] : [prompt, confirmPrompt]);
	return {password: password!, confirm: confirmation};
}

function kindOf(stats: Stats): string {
	if (stats.isCharacterDevice()) return 'a character device';
	if (stats.isBlockDevice()) return 'a block device';
	if (stats.isSocket()) return 'a socket';
	return 'not a regular file';
}

/** Refuses, before any byte is read, what cannot hold a password: a directory, a device (/dev/zero), a socket. */
function checkPasswordFileType(path: string, stats: Stats): void {
	if (stats.isDirectory()) {
		throw new RscmError('IS_A_DIRECTORY', `--password-file ${path} is a directory.`, {hint: 'Give the file whose first line is the password.'});
	}

	if (!stats.isFile() && !stats.isFIFO()) {
		throw new RscmError('INVALID_INPUT', `--password-file ${path} is ${kindOf(stats)}: it must be a regular file or a pipe (FIFO).`, {
			hint: 'Give the file whose first line is the password, or a pipe such as <(pass show rscm).',
		});
	}
}

function cancelled(path: string): RscmError {
	return new RscmError('CANCELLED', `Stopped while waiting for the password from ${path}.`);
}

/**
 * The first line of a password file: a regular file, or a pipe — a named FIFO, or the /dev/fd/N that
 * `<(pass show rscm)` gives. At most inputLimits.password bytes are taken (a longer first line is INPUT_TOO_LARGE;
 * what follows the first line is never read). Devices and directories are refused before they are opened.
 *
 * A FIFO is opened and read without blocking, so nothing can hang: with no writer, rscm waits up to
 * `writerWaitMs` (10 s) for one and then fails with INPUT_TIMEOUT; once a writer has the pipe open (a `pass` waiting
 * for its GPG passphrase), rscm waits for its line as long as it keeps it open. SIGINT, SIGTERM and SIGHUP end
 * either wait at once with CANCELLED.
 */
export async function readPasswordFile(path: string, options: {signal?: AbortSignal | undefined; writerWaitMs?: number} = {}): Promise<string> {
	const {signal, writerWaitMs = fifoWriterWaitMs} = options;
	try {
		// By path first, so a device is refused without even being opened (opening one can have effects of its own).
		checkPasswordFileType(path, await stat(path));
	} catch (error) {
		if (error instanceof RscmError) throw error;
		throw fileError(error, path, 'read');
	}

	let handle: FileHandle;
	try {
		handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
	} catch (error) {
		throw fileError(error, path, 'read');
	}

	try {
		// Again on the open handle: the path may have been replaced in between.
		const stats = await handle.stat();
		checkPasswordFileType(path, stats);
		const cap = inputLimits.password;
		// Room for the longest allowed line, a CR and the LF that ends it: one byte more is a line over the cap.
		const buffer = Buffer.alloc(cap + 2);
		let length = 0;
		let writerSeen = stats.isFile();
		const deadline = Date.now() + writerWaitMs;
		for (;;) {
			if (signal?.aborted) throw cancelled(path);
			let bytesRead: number;
			try {
				({bytesRead} = await handle.read(buffer, length, buffer.length - length, null));
			} catch (error) {
				const code = (error as NodeJS.ErrnoException).code;
				if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') throw error;
				// A writer holds the pipe open but has written nothing yet.
				writerSeen = true;
				await pause(path, signal);
				continue;
			}

			if (bytesRead === 0) {
				// The end of the file, or of the pipe once its writer closed it.
				if (writerSeen || length > 0) break;
				// A FIFO nobody opened for writing yet reads as empty: wait for a writer, but not for ever.
				if (Date.now() >= deadline) {
					throw new RscmError('INPUT_TIMEOUT', `Nothing came through the pipe ${path} within ${writerWaitMs / 1000} s: no program wrote the password to it.`, {
						hint: 'Start the program that writes the password to the FIFO first, or give the password with --password-stdin.',
					});
				}

				await pause(path, signal);
				continue;
			}

			writerSeen = true;
			length += bytesRead;
			if (buffer.subarray(length - bytesRead, length).includes(0x0a) || length === buffer.length) break;
		}

		const newline = buffer.subarray(0, length).indexOf(0x0a);
		let end = newline === -1 ? length : newline;
		if (end > 0 && buffer[end - 1] === 0x0d) end--;
		if (end > cap) throw inputTooLarge(`The first line of --password-file ${path}`, cap, {hint: passwordHint});
		return buffer.toString('utf8', 0, end);
	} catch (error) {
		if (error instanceof RscmError) throw error;
		throw fileError(error, path, 'read');
	} finally {
		await handle.close();
	}
}

async function pause(path: string, signal: AbortSignal | undefined): Promise<void> {
	try {
		await delay(fifoPollMs, undefined, signal ? {signal} : undefined);
	} catch {
		throw cancelled(path);
	}
}

/**
 * Empties the terminal's input queue: keys typed before the prompt appeared, which the terminal may already have
 * echoed. Node reads stdin only on demand, so they are still in the kernel; a non-blocking file description of
 * the same terminal (as libuv itself opens one) reads them out without waiting. Linux only (/proc/self/fd);
 * elsewhere only what Node had already buffered is dropped.
 */
function drainTerminalQueue(stdin: Readable): number {
	if (process.platform !== 'linux' || (stdin as {fd?: unknown}).fd !== 0) return 0;
	let fd: number;
	try {
		fd = openSync('/proc/self/fd/0', fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOCTTY);
	} catch {
		return 0;
	}

	let dropped = 0;
	try {
		const buffer = Buffer.alloc(4096);
		// Bounded, in case keys keep pouring in (a paste of megabytes).
		for (let reads = 0; reads < 256; reads++) {
			const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
			if (bytesRead === 0) break;
			dropped += bytesRead;
		}
	} catch {
		// EAGAIN: the queue is empty.
	} finally {
		closeSync(fd);
	}

	return dropped;
}

/** Reads one line from the terminal in raw mode, echoing nothing (not even asterisks: the length is a secret too). */
export async function promptHidden(io: CommandIo, prompt: string): Promise<string> {
	return (await promptHiddenLines(io, [prompt]))[0]!;
}

/**
 * Asks each prompt in turn on one no-echo terminal, as sudo does: raw mode (no echo) is set before the first prompt
 * is written and kept until the last line is read, so the terminal never echoes a key in between; and whatever was
 * typed before a prompt appeared is discarded, with a notice, rather than taken as the start of the password —
 * including what followed an Enter before the next prompt (type-ahead meant for something else, or a password
 * typed while the terminal still echoed it).
 */
async function promptHiddenLines(io: CommandIo, prompts: string[]): Promise<string[]> {
	const stdin = io.stdin;
	stdin.setRawMode?.(true);
	const values: string[] = [];
	let carried = 0;
	try {
		for (const prompt of prompts) {
			const dropped = carried + discardBuffered(stdin) + drainTerminalQueue(stdin);
			if (dropped > 0) io.stderr.write(`${typeAheadNotice}\n`);
			io.stderr.write(prompt);
			const {value, rest} = await readHiddenLine(io);
			values.push(value);
			carried = rest;
		}
	} finally {
		stdin.setRawMode?.(false);
		stdin.pause();
	}

	return values;
}

async function readHiddenLine(io: CommandIo): Promise<{value: string; rest: number}> {
	const stdin = io.stdin;
	const cap = inputLimits.password;
	return new Promise((resolve, reject) => {
		const decoder = new StringDecoder('utf8');
		let value = '';
		const finish = (result: {value: string; rest: number} | RscmError) => {
			stdin.off('data', onData);
			io.signal.removeEventListener('abort', onAbort);
			stdin.pause();
			io.stderr.write('\n');
			if (result instanceof RscmError) reject(result);
			else resolve(result);
		};

		const onData = (chunk: Buffer | string) => {
			const characters = [...(typeof chunk === 'string' ? chunk : decoder.write(chunk))];
			for (let index = 0; index < characters.length; index++) {
				const character = characters[index]!;
				if (character === '\r' || character === '\n') {
					// A CRLF (from a paste) is one line end.
					const next = character === '\r' && characters[index + 1] === '\n' ? index + 2 : index + 1;
					return finish({value, rest: characters.length - next});
				}

				if (character === '\u0003') return finish(new RscmError('CANCELLED', 'Cancelled.'));
				if (character === '\u007f' || character === '\b') value = [...value].slice(0, -1).join('');
				// Ctrl+U erases what was typed, as it does at a terminal's own prompts.
				else if (character === '\u0015') value = '';
				else if (character >= ' ') {
					value += character;
					if (exceedsBytes(value, cap)) return finish(inputTooLarge('The password typed at the prompt', cap, {hint: passwordHint}));
				}
			}
		};

		const onAbort = () => {
			finish(new RscmError('CANCELLED', 'Stopped at the password prompt.'));
		};

		if (io.signal.aborted) return onAbort();
		stdin.on('data', onData);
		io.signal.addEventListener('abort', onAbort);
		stdin.resume();
	});
}

/**
 * Destructive commands ask on a terminal and need --yes otherwise, so a script never destroys anything by
 * accident and a human is never surprised.
 */
export async function confirm(io: CommandIo, question: string, yes: boolean | undefined): Promise<void> {
	if (yes) return;
	if (!stdinIsTerminal(io)) {
		throw new RscmError('CONFIRMATION_REQUIRED', `${question} Refused: stdin is not a terminal.`, {hint: 'Pass --yes to confirm.'});
	}

	// The question names the instance at stake, which comes from the catalog.
	io.stderr.write(`${displayText(question, {keepLineBreaks: true})} [y/N] `);
	const answer = (await readLine(io.stdin, {maxBytes: 1024, what: 'The answer', signal: io.signal})) ?? '';
	if (!/^y(es)?$/i.test(answer.trim())) throw new RscmError('CANCELLED', 'Nothing was changed.');
}
