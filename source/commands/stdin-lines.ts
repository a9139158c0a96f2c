import {createInterface} from 'node:readline';
import type {Readable} from 'node:stream';

/**
 * One line reader per stdin: a password on the first line and JSON on the next ones must come from the same
 * reader, or the first reader's buffer swallows what the second one needs.
 */
const readers = new WeakMap<Readable, AsyncIterator<string>>();

export function stdinLines(stdin: Readable): AsyncIterator<string> {
	let iterator = readers.get(stdin);
	if (!iterator) {
		iterator = createInterface({input: stdin, crlfDelay: Number.POSITIVE_INFINITY})[Symbol.asyncIterator]();
		readers.set(stdin, iterator);
	}

	return iterator;
}

export async function readLine(stdin: Readable): Promise<string | undefined> {
	const next = await stdinLines(stdin).next();
	return next.done ? undefined : next.value;
}

export async function readAll(stdin: Readable): Promise<string> {
	const lines: string[] = [];
	for (let line = await readLine(stdin); line !== undefined; line = await readLine(stdin)) lines.push(line);
	return lines.join('\n');
}

export async function* remainingLines(stdin: Readable): AsyncGenerator<string> {
	for (let line = await readLine(stdin); line !== undefined; line = await readLine(stdin)) yield line;
}
