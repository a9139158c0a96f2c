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
	io.stdout.write(JSON.stringify(value, (_key, item: unknown) => (item instanceof Uint8Array ? undefined : item), '\t') + '\n');
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
