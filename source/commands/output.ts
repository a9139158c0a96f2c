import {toRscmError, type RscmError} from '../core/errors.ts';
import {displayText} from '../core/terminal-text.ts';
import type {CommandIo} from './command-io.ts';

/** Exit codes (README, Commands): 0 success, 1 the operation failed, 2 usage error. */
export function exitCodeFor(error: RscmError): number {
	return error.code === 'USAGE' || error.code === 'NOT_A_TERMINAL' ? 2 : 1;
}

/** With --json, one JSON document on stdout; human text on stderr so stdout stays clean for pipes. */
export function printError(io: CommandIo, error: unknown, json: boolean): number {
	const rscmError = toRscmError(error);
	if (json) {
		io.stdout.write(JSON.stringify({error: rscmError.toJSON()}) + '\n');
	} else {
		// Messages quote names and paths from the catalog, files and the command line: never print their control
		// characters. (JSON output needs nothing: JSON.stringify escapes C0 controls; the data stays as stored.)
		io.stderr.write(`rscm: ${displayText(rscmError.message, {keepLineBreaks: true})} [${rscmError.code}]\n`);
		if (rscmError.hint) io.stderr.write(`${displayText(rscmError.hint, {keepLineBreaks: true})}\n`);
	}

	return exitCodeFor(rscmError);
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
