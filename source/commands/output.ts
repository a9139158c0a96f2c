import type {Writable} from 'node:stream';
import type {RscmError} from '../errors.ts';
import { toRscmError} from '../errors.ts';
import {debugEnabled, debugStack, formatError} from '../core/error-text.ts';
import {displayText} from '../core/terminal-text.ts';
import type {CommandIo, OutputGuard, ProgramName} from './command-io.ts';

/**
 * Exit codes (README, Output and exit codes): 0 success, 1 the operation failed, 2 usage error; 128 + the signal's
 * number when a signal stopped it (run-cli.ts, termination-signals.ts).
 */
export function exitCodeFor(error: RscmError): number {
	return error.code === 'USAGE' || error.code === 'NOT_A_TERMINAL' ? 2 : 1;
}

/** With --json, one JSON document on stdout; human text on stderr so stdout stays clean for pipes. */
export function printError(io: Pick<CommandIo, 'stdout' | 'stderr' | 'env' | 'program'>, error: unknown, json: boolean): number {
	const rscmError = toRscmError(error);
	if (json) {
		io.stdout.write(JSON.stringify({error: rscmError.toJSON()}) + '\n');
		if (debugEnabled(io.env) && rscmError.code === 'INTERNAL') io.stderr.write(debugStack(rscmError));
	} else {
		io.stderr.write(formatError(rscmError, {debug: debugEnabled(io.env), program: io.program}));
	}

	return exitCodeFor(rscmError);
}

/**
 * The last resort of an entry: an error nothing else caught (an uncaught exception, an unhandled rejection, a
 * failure while printing another error). It is printed like every other error, as INTERNAL unless it is an
 * RscmError, never as a stack trace unless RSCM_DEBUG is set, and never throws: the output may be the thing that
 * broke.
 */
export function printFatal(io: Pick<CommandIo, 'stdout' | 'stderr' | 'env' | 'program'>, error: unknown, json: boolean): number {
	try {
		return printError(io, error, json);
	} catch {
		// Nowhere left to print.
		return exitCodeFor(toRscmError(error));
	}
}

/**
 * A command's exit code once its output has settled: a closed stdout or stderr changes nothing (the reader left,
 * README: EPIPE), but a stdout that failed otherwise (a full disk) means the output is incomplete: exit 1, said on
 * stderr (stdout cannot carry it).
 */
export async function settleOutput(io: Pick<CommandIo, 'stderr' | 'env' | 'program'>, guard: OutputGuard, code: number): Promise<number> {
	await guard.settled();
	if (guard.failure === undefined) return code;
	if (!guard.closed('stderr')) printFatal({...io, stdout: io.stderr}, guard.failure, false);
	return code === 0 ? exitCodeFor(guard.failure) : code;
}

export function printJson(io: CommandIo, value: unknown): void {
	io.stdout.write(JSON.stringify(value, bytesOmitted, '\t') + '\n');
}

/** A fixed-width table for list commands; columns sized to their content. */
export function formatTable(headers: string[], rawRows: string[][]): string {
	// Cells are catalog text (names): one line each, control characters made visible before the widths are measured.
	const rows = rawRows.map(row => row.map(cell => displayText(cell)));
	const widths = headers.map((header, index) => Math.max(header.length, ...rows.map(row => (row[index] ?? '').length)));
	const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(widths[index]!)).join('  ').trimEnd();
	return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/**
 * Writes `text`, then waits while the stream's buffer is full (a slow reader: `| less`, a pipe over ssh), so a
 * streamed list holds one page, never the whole output. Returns false once the stream takes nothing more: its reader
 * went away (EPIPE; command-io.ts reports nothing about it) or it failed (the guard makes that the exit status), and
 * the caller stops producing.
 */
export async function writeOrWait(stream: Writable, text: string): Promise<boolean> {
	if (stream.destroyed || stream.writableEnded) return false;
	if (stream.write(text)) return true;
	await new Promise<void>(resolve => {
		const done = () => {
			stream.off('drain', done);
			stream.off('close', done);
			stream.off('error', done);
			resolve();
		};

		// An error or a close ends the wait too: after EPIPE no 'drain' ever comes.
		stream.on('drain', done);
		stream.on('close', done);
		stream.on('error', done);
	});
	return !stream.destroyed;
}

/**
 * A JSON array written as its items arrive, byte for byte what printJson writes for the whole array (tab-indented,
 * one newline at the end), so a streamed list is the same one JSON document a script parsed before. Nothing is
 * written before the first item or end(): an error before that is still the only document on stdout.
 */
export function jsonArrayWriter(stream: Writable): {write(items: readonly unknown[]): Promise<boolean>; end(): Promise<boolean>} {
	let started = false;
	return {
		async write(items) {
			if (items.length === 0) return true;
			const text = items
				.map((item, index) => `${started || index > 0 ? ',' : '['}\n${JSON.stringify(item, bytesOmitted, '\t').replaceAll(/^/gm, '\t')}`)
				.join('');
			started = true;
			return writeOrWait(stream, text);
		},
		async end() {
			return writeOrWait(stream, started ? '\n]\n' : '[]\n');
		},
	};
}

function bytesOmitted(_key: string, item: unknown): unknown {
	return item instanceof Uint8Array ? undefined : item;
}

/**
 * `text` in exactly `width` columns: padded, or cut with an ellipsis when longer. Catalog text is made visible
 * first (its control characters would otherwise reach the terminal), then measured by code points.
 */
export function fitCell(text: string, width: number): string {
	const characters = Array.from(displayText(text));
	if (characters.length <= width) return characters.join('').padEnd(width);
	return characters.slice(0, Math.max(0, width - 1)).join('') + '…';
}

/**
 * A line of a table printed as its rows arrive, so its widths are chosen before all rows are seen (`widths`, one
 * per column): cells are padded or cut to them (fitCell), the last one is not padded.
 */
export function tableLine(widths: readonly number[], cells: readonly string[]): string {
	return cells.map((cell, index) => fitCell(cell, widths[index] ?? 0)).join('  ').trimEnd() + '\n';
}

/**
 * An entry's last line of defence (cli.tsx, rskeymgmt-entry.ts): an uncaught exception or unhandled rejection,
 * wherever it comes from (a stream, a timer, the UI after Ink exited), is printed as one error and exits, instead
 * of Node's stack trace. The Configuration Manager puts its own handler in front while it owns the screen.
 */
export function installFatalHandlers(json: boolean, program?: ProgramName): void {
	const onFatal = (error: unknown) => {
		process.exit(printFatal({stdout: process.stdout, stderr: process.stderr, env: process.env, program}, error, json));
	};

	process.on('uncaughtException', onFatal);
	process.on('unhandledRejection', onFatal);
}
