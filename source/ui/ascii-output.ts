import {toAscii} from './charset.ts';

type Write = NodeJS.WriteStream['write'];

/**
 * The terminal stream with every character outside ASCII replaced by `toAscii`, for Ink to render into in ASCII mode.
 * The components already draw ASCII then (Text.tsx converts before Ink measures, Panel draws ASCII sides); this
 * catches what does not pass them (a Box's screen-reader label, an Ink message), so not one byte of UTF-8 reaches a
 * terminal that cannot show it. Each character becomes one, so the layout Ink measured still holds. Everything but `write` (columns, rows, isTTY, the
 * 'resize' event) is the terminal's own.
 */
export function asciiOutput(stream: NodeJS.WriteStream): NodeJS.WriteStream {
	const write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
		const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
		// The text is decoded now: an encoding given for the chunk does not apply to it (only the callback is kept).
		const callback = rest.find(argument => typeof argument === 'function');
		return (stream.write as (...arguments_: unknown[]) => boolean)(toAscii(text), ...(callback === undefined ? [] : [callback]));
	}) as Write;
	return new Proxy(stream, {
		get(target, property) {
			if (property === 'write') return write;
			const value: unknown = Reflect.get(target, property, target);
			return typeof value === 'function' ? (value as (...arguments_: unknown[]) => unknown).bind(target) : value;
		},
	});
}
