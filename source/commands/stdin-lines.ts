import type {Readable} from 'node:stream';
import {RscmError} from '../errors.ts';
import {inputTooLarge} from '../core/input-limits.ts';

/** What a read may take, and how to name the input when it is more (README, Commands: the caps). */
export type ReadLimit = {
	/** The most bytes the line (without its line end) or the document may have. */
	maxBytes: number;
	/** Names the input in INPUT_TOO_LARGE: "The password on stdin", "Line 12 of stdin". */
	what: string;
	hint?: string | undefined;
	/** io.signal: SIGINT, SIGTERM or SIGHUP end a read that waits, with CANCELLED. */
	signal?: AbortSignal | undefined;
};

const empty = Buffer.alloc(0);

function cancelled(): RscmError {
	return new RscmError('CANCELLED', 'Stopped while waiting for input on stdin.');
}

function readFailure(error: unknown): RscmError {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	return new RscmError('IO_ERROR', `Cannot read stdin${code ? ` (${code})` : ''}.`, {cause: error});
}

function tooLarge(limit: ReadLimit): RscmError {
	return inputTooLarge(limit.what, limit.maxBytes, {hint: limit.hint});
}

function asBuffer(chunk: unknown): Buffer {
	if (Buffer.isBuffer(chunk)) return chunk;
	if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
	return Buffer.from(chunk as Uint8Array);
}

/**
 * Reads a stream one chunk at a time, on demand, and never holds more than the cap of the current read plus one
 * chunk (64 KiB from a pipe or a file): an 800 MB line is refused after its first KiBs, not after it was buffered.
 * (readline, used before, keeps a whole line in memory whatever its size, and a string past ~512 MB throws.)
 *
 * The stream flows only while a read waits and is paused again at once, so Node stops reading a terminal between
 * reads (the process can exit) and the no-echo prompt can take over stdin in between.
 */
class StreamReader {
	/** Bytes read from the stream and not consumed yet: the start of the next line. */
	pending: Buffer = empty;
	private ended = false;
	private failure: unknown;

	constructor(private readonly stream: Readable) {
		// Always listened to: a read error while no read waits must not become an uncaught exception.
		stream.on('error', error => {
			this.failure ??= error;
		});
	}

	/** Waits for the next chunk and appends it to `pending`; false at the end of the stream. */
	private async more(signal: AbortSignal | undefined): Promise<boolean> {
		if (this.failure !== undefined) throw readFailure(this.failure);
		if (signal?.aborted) throw cancelled();
		const stream = this.stream;
		if (this.ended || stream.readableEnded || stream.destroyed) {
			this.ended = true;
			return false;
		}

		return new Promise((resolve, reject) => {
			const settle = () => {
				stream.pause();
				stream.off('data', onData);
				stream.off('end', onEnd);
				stream.off('close', onEnd);
				stream.off('error', onError);
				signal?.removeEventListener('abort', onAbort);
			};

			const onData = (chunk: unknown) => {
				settle();
				const bytes = asBuffer(chunk);
				this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
				resolve(true);
			};

			const onEnd = () => {
				settle();
				this.ended = true;
				resolve(false);
			};

			const onError = (error: unknown) => {
				settle();
				reject(readFailure(error));
			};

			const onAbort = () => {
				settle();
				reject(cancelled());
			};

			stream.on('data', onData);
			stream.on('end', onEnd);
			stream.on('close', onEnd);
			stream.on('error', onError);
			signal?.addEventListener('abort', onAbort);
			stream.resume();
		});
	}

	private take(end: number, skip: number): string {
		const text = this.pending.toString('utf8', 0, end);
		this.pending = this.pending.subarray(end + skip);
		if (this.pending.length === 0) this.pending = empty;
		return text;
	}

	/** The next line without its line end (LF or CRLF), or undefined at the end of the stream. */
	async line(limit: ReadLimit): Promise<string | undefined> {
		let searched = 0;
		for (;;) {
			const newline = this.pending.indexOf(0x0a, searched);
			if (newline !== -1) {
				const end = newline > 0 && this.pending[newline - 1] === 0x0d ? newline - 1 : newline;
				if (end > limit.maxBytes) throw tooLarge(limit);
				return this.take(end, newline + 1 - end);
			}

			// Refused as soon as it is too long: the +1 leaves room for the CR of a CRLF whose LF is still to come.
			if (this.pending.length > limit.maxBytes + 1) throw tooLarge(limit);
			searched = this.pending.length;
			if (!(await this.more(limit.signal))) {
				if (this.pending.length === 0) return undefined;
				const end = this.pending.at(-1) === 0x0d ? this.pending.length - 1 : this.pending.length;
				if (end > limit.maxBytes) throw tooLarge(limit);
				return this.take(end, this.pending.length - end);
			}
		}
	}

	/** Everything left until the end of the stream. */
	async rest(limit: ReadLimit): Promise<string> {
		for (;;) {
			if (this.pending.length > limit.maxBytes) throw tooLarge(limit);
			if (!(await this.more(limit.signal))) return this.take(this.pending.length, 0);
		}
	}
}

/**
 * One reader per stream: a password on the first line and JSON on the next ones must come from the same reader,
 * or the first reader's buffer swallows what the second one needs.
 */
const readers = new WeakMap<Readable, StreamReader>();

function readerOf(stream: Readable): StreamReader {
	let reader = readers.get(stream);
	if (!reader) {
		reader = new StreamReader(stream);
		readers.set(stream, reader);
	}

	return reader;
}

/** The next line of stdin (LF or CRLF ended), at most `limit.maxBytes` long; undefined at the end of stdin. */
export async function readLine(stdin: Readable, limit: ReadLimit): Promise<string | undefined> {
	return readerOf(stdin).line(limit);
}

/** The rest of stdin, at most `limit.maxBytes` long. */
export async function readRest(stdin: Readable, limit: ReadLimit): Promise<string> {
	return readerOf(stdin).rest(limit);
}

/**
 * Drops whatever was read from stdin but not consumed yet, here and in the stream's own buffer; returns how many
 * bytes (or characters, for a stream of strings) were dropped. The no-echo prompt calls it: keys typed before the
 * prompt appeared must not become part of a password.
 */
export function discardBuffered(stdin: Readable): number {
	let dropped = 0;
	const reader = readers.get(stdin);
	if (reader) {
		dropped += reader.pending.length;
		reader.pending = empty;
	}

	while (stdin.readableLength > 0) {
		const chunk = stdin.read() as {length: number} | null;
		if (chunk === null) break;
		dropped += chunk.length;
	}

	return dropped;
}
