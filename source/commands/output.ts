import {toRscmError, type RscmError} from '../core/errors.ts';
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
		io.stderr.write(`rscm: ${rscmError.message} [${rscmError.code}]\n`);
		if (rscmError.hint) io.stderr.write(`${rscmError.hint}\n`);
	}

	return exitCodeFor(rscmError);
}

export function printJson(io: CommandIo, value: unknown): void {
	io.stdout.write(JSON.stringify(value, (_key, item: unknown) => (item instanceof Uint8Array ? undefined : item), '\t') + '\n');
}

/** A fixed-width table for list commands; columns sized to their content. */
export function formatTable(headers: string[], rows: string[][]): string {
	const widths = headers.map((header, index) => Math.max(header.length, ...rows.map(row => (row[index] ?? '').length)));
	const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(widths[index]!)).join('  ').trimEnd();
	return [line(headers), ...rows.map(line)].join('\n') + '\n';
}
