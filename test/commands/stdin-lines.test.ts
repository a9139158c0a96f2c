// The bounded stdin reader (source/commands/stdin-lines.ts): lines and documents up to a cap, refused as soon as they
// pass it, without reading (or holding) much more than the cap; a wait ends on the commands' abort signal.
import {PassThrough, Readable} from 'node:stream';
import test from 'ava';
import {isRscmError} from '../../source/errors.ts';
import {discardBuffered, readLine, readRest} from '../../source/commands/stdin-lines.ts';

const limit = (maxBytes: number, what = 'The line') => ({maxBytes, what});

test('lines end with LF or CRLF; the last one may have no line end; blank lines are lines', async t => {
	const stdin = Readable.from([Buffer.from('one\r\ntwo\n\nthr'), Buffer.from('ee\r')]);
	const lines: Array<string | undefined> = [];
	for (let index = 0; index < 5; index++) lines.push(await readLine(stdin, limit(100)));
	t.deepEqual(lines, ['one', 'two', '', 'three', undefined]);
});

test('a line of exactly the cap is read (its CRLF not counted); one byte more is INPUT_TOO_LARGE naming it', async t => {
	const cap = 8;
	t.is(await readLine(Readable.from([`${'a'.repeat(cap)}\r\n`]), limit(cap)), 'a'.repeat(cap));
	t.is(await readLine(Readable.from(['a'.repeat(cap)]), limit(cap)), 'a'.repeat(cap));
	// UTF-8 bytes, not characters: four characters of three bytes each are 12 bytes.
	const error = await t.throwsAsync(readLine(Readable.from(['€€€€\n']), limit(cap, 'Line 7')));
	t.true(isRscmError(error, 'INPUT_TOO_LARGE'));
	t.regex(error!.message, /^Line 7 is over the limit of 8 bytes/);
	await t.throwsAsync(readLine(Readable.from([`${'a'.repeat(cap + 1)}\n`]), limit(cap)), {code: 'INPUT_TOO_LARGE'});
	await t.throwsAsync(readLine(Readable.from(['a'.repeat(cap + 1)]), limit(cap)), {code: 'INPUT_TOO_LARGE'});
});

test('a password line and the lines after it come from one reader: nothing is lost between them', async t => {
	const stdin = new PassThrough();
	stdin.end('secret\n{"a":1}\n{"b":2}\n');
	t.is(await readLine(stdin, limit(1024)), 'secret');
	t.is(await readRest(stdin, limit(1024)), '{"a":1}\n{"b":2}\n');
});

/** An endless stream of 'a' in 64 KiB chunks that counts what was pulled from it. */
function endless(): {stream: Readable; pulled: () => number} {
	let pulled = 0;
	const chunk = Buffer.alloc(64 * 1024, 'a');
	const stream = new Readable({
		read() {
			pulled += chunk.length;
			this.push(chunk);
		},
	});
	return {stream, pulled: () => pulled};
}

test('an endless line is refused after the cap plus a chunk or two, not after it was read whole', async t => {
	const {stream, pulled} = endless();
	await t.throwsAsync(readLine(stream, limit(256 * 1024)), {code: 'INPUT_TOO_LARGE'});
	// The cap, the chunk that passed it, and what the stream itself reads ahead (its high-water mark).
	t.true(pulled() <= 256 * 1024 + 4 * 64 * 1024, `pulled ${pulled()} bytes`);

	const rest = endless();
	await t.throwsAsync(readRest(rest.stream, limit(1024, 'The JSON on stdin')), {code: 'INPUT_TOO_LARGE', message: /^The JSON on stdin is over the limit of 1,024 bytes/});
	t.true(rest.pulled() <= 4 * 64 * 1024, `pulled ${rest.pulled()} bytes`);
});

test('a read that waits ends with CANCELLED when the signal aborts, and a stream error is IO_ERROR, never uncaught', async t => {
	const stdin = new PassThrough();
	stdin.write('no line end yet');
	const controller = new AbortController();
	const pending = readLine(stdin, {...limit(1024), signal: controller.signal});
	setTimeout(() => {
		controller.abort();
	}, 20);
	await t.throwsAsync(pending, {code: 'CANCELLED'});
	await t.throwsAsync(readLine(stdin, {...limit(1024), signal: controller.signal}), {code: 'CANCELLED'});

	const broken = new PassThrough();
	const read = readLine(broken, limit(1024));
	broken.destroy(Object.assign(new Error('read EIO'), {code: 'EIO'}));
	await t.throwsAsync(read, {code: 'IO_ERROR', message: /EIO/});
	// An error while no read waits is kept for the next read.
	const idle = new PassThrough();
	t.is(await readLine((idle.end('x\n'), idle), limit(10)), 'x');
	idle.emit('error', Object.assign(new Error('read EIO'), {code: 'EIO'}));
	await t.throwsAsync(readLine(idle, limit(10)), {code: 'IO_ERROR'});
});

test('discardBuffered drops what was read ahead, here and in the stream', async t => {
	const stdin = new PassThrough();
	stdin.write('typed ahead\nmore');
	t.is(await readLine(stdin, limit(100)), 'typed ahead');
	stdin.write('and more');
	// "more" is in the reader's buffer, "and more" in the stream's.
	await new Promise(resolve => setImmediate(resolve));
	t.is(discardBuffered(stdin), 'more'.length + 'and more'.length);
	stdin.end('next\n');
	t.is(await readLine(stdin, limit(100)), 'next');
});
