/**
 * Backup file fuzzing (issue 6): mutated `.snk` files — bit flips, truncations, edited, duplicated, removed and
 * reordered header lines, huge numbers, non-UTF-8 bytes, CRLF and CR line ends, a valid body under another header,
 * base64 junk, oversized input — must each be rejected by `decodeBackup` with a stable error code, in bounded time
 * and memory, and none accepted.
 *
 * The KDF costs ~0.4 s, so the run is arranged so that the mass costs microseconds:
 *  - `node:crypto`'s scrypt is replaced (module.syncBuiltinESMExports, so the live ESM binding in core/backup/kdf.ts
 *    sees it) by a counting wrapper. It memoizes the real KDF: a mutation that keeps the original salt and
 *    parameters gets the exact key the real scrypt gave (scrypt is a pure function), so GCM's verdict is the real one.
 *  - A mutation that reaches the KDF with another salt or other parameters (a changed Salt or N line that still
 *    parses) gets a random key in the mass run — what scrypt of other inputs is, for an attacker — and the first few
 *    such files are run again at the end with the real scrypt, to show the real path rejects them too.
 *  Everything else is rejected by the parser before the KDF, which the counter proves.
 *
 * Shared by test/reliability/backup-fuzz.test.ts (npm test) and scripts/stress.ts (the full 100,000).
 */
import {createHash, randomBytes as cryptoRandomBytes} from 'node:crypto';
import crypto from 'node:crypto';
import {syncBuiltinESMExports} from 'node:module';
import {runInNewContext} from 'node:vm';
import v8 from 'node:v8';
import {decodeBackup, encodeBackup, parseBackupHeader} from '../../source/core/backup/backup-codec.ts';
import type {BackupContents} from '../../source/core/backup/payload.ts';
import {isRscmError} from '../../source/errors.ts';
import {randomGenerator} from './crash-matrix.ts';

export const fuzzPassword = 'Fuzz!Backup#Pass-2025';
/** The codes a hostile backup may produce: anything else (INTERNAL, a TypeError, a crash) is a failure. */
export const acceptedRejections = new Set(['NOT_A_BACKUP', 'UNSUPPORTED_BACKUP_VERSION', 'BACKUP_TOO_LARGE', 'WRONG_PASSWORD']);

// --- The scrypt spy -----------------------------------------------------------------------------------------------

type ScryptCallback = (error: Error | null, derived: Buffer) => void;
type ScryptFunction = (password: Buffer, salt: Buffer, keylen: number, options: crypto.ScryptOptions, callback: ScryptCallback) => void;

export type ScryptSpy = {
	/** Calls that reached the KDF, cached or not. */
	calls: number;
	/** Calls with a salt/parameters never seen: given a random key in 'substitute' mode, the real KDF in 'real'. */
	uncached: number;
	mode: 'real' | 'substitute';
	restore(): void;
};

export function installScryptSpy(): ScryptSpy {
	const real = crypto.scrypt as unknown as ScryptFunction;
	const cache = new Map<string, Buffer>();
	const spy: ScryptSpy = {
		calls: 0,
		uncached: 0,
		mode: 'real',
		restore() {
			(crypto as unknown as {scrypt: ScryptFunction}).scrypt = real;
			syncBuiltinESMExports();
		},
	};
	const wrapper: ScryptFunction = (password, salt, keylen, options, callback) => {
		spy.calls++;
		const id = createHash('sha256')
			.update(password)
			.update('\0')
			.update(salt)
			.update(`\0${keylen}\0${options.N}\0${options.r}\0${options.p}`)
			.digest('hex');
		const cached = cache.get(id);
		// Copies: the caller zeroes what it receives.
		if (cached) return setImmediate(() => callback(null, Buffer.from(cached)));
		spy.uncached++;
		if (spy.mode === 'substitute') return setImmediate(() => callback(null, cryptoRandomBytes(keylen)));
		real(password, salt, keylen, options, (error, derived) => {
			if (!error && cache.size < 64) cache.set(id, Buffer.from(derived));
			callback(error, derived);
		});
	};

	(crypto as unknown as {scrypt: ScryptFunction}).scrypt = wrapper;
	syncBuiltinESMExports();
	return spy;
}

// --- Inputs -------------------------------------------------------------------------------------------------------

function keyring(catalogId: string, count: number): BackupContents {
	return {
		catalogId,
		createdAt: '2025-03-01T12:00:00.000Z',
		keys: Array.from({length: count}, (_, index) => ({
			version: index + 1,
			createdAt: new Date(Date.UTC(2024, 0, 1 + index)).toISOString(),
			key: cryptoRandomBytes(32),
			primary: index === count - 1,
		})),
	};
}

export type FuzzCorpus = {
	/** The file every mutation starts from (2 keys). */
	original: string;
	/** Another catalog's backup with as many keys: its body under the original's header, and the reverse. */
	sameShape: string;
	/** A backup with another key count: its body does not fit the original's Keys header. */
	otherShape: string;
	/** The largest legitimate backup (1024 keys, near the size cap): the timing baseline. */
	largest: string;
	/** How long one encode took with the real KDF. */
	realKdfMs: number;
};

export async function buildCorpus(): Promise<FuzzCorpus> {
	let realKdfMs = 0;
	const contents = [
		keyring('6f1c2a9e-4d1b-4c8e-9a55-2b7d0c3e8f10', 2),
		keyring('0b7e6d2c-1a3f-4e5d-8c9b-7a6f5e4d3c2b', 2),
		keyring('6f1c2a9e-4d1b-4c8e-9a55-2b7d0c3e8f10', 3),
		keyring('6f1c2a9e-4d1b-4c8e-9a55-2b7d0c3e8f10', 1024),
	];
	const texts: string[] = [];
	const start = Date.now();
	for (const item of contents) {
		texts.push(await encodeBackup(item, fuzzPassword));
		// The first one alone: the time of one real KDF, for the report.
		if (texts.length === 1) realKdfMs = Date.now() - start;
		for (const key of item.keys) key.key.fill(0);
	}

	const [original, sameShape, otherShape, largest] = texts;
	return {original: original!, sameShape: sameShape!, otherShape: otherShape!, largest: largest!, realKdfMs};
}

/** What the parser tolerates (docs/FORMATS.md, Reading leniency: CRLF, trailing blanks, blank lines around, a BOM) folded away. */
export function canonicalForm(bytes: Uint8Array): string | undefined {
	let text: string;
	try {
		text = new TextDecoder('utf-8', {fatal: true}).decode(bytes);
	} catch {
		return undefined;
	}

	if (text.startsWith('\uFEFF')) text = text.slice(1);
	const lines = text.split('\n').map(line => {
		// A loop, not /[\t\r ]+$/, which is quadratic on the long runs of spaces the oversized mutations make.
		let end = line.length;
		while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t' || line[end - 1] === '\r')) end--;
		return line.slice(0, end);
	});
	while (lines[0] === '') lines.shift();
	while (lines.at(-1) === '') lines.pop();
	return lines.join('\n');
}

// --- Mutations ----------------------------------------------------------------------------------------------------

type Random = () => number;

function pick<T>(random: Random, items: readonly T[]): T {
	return items[Math.floor(random() * items.length)]!;
}

function integer(random: Random, low: number, high: number): number {
	return low + Math.floor(random() * (high - low + 1));
}

function randomAscii(random: Random, length: number): string {
	let text = '';
	for (let index = 0; index < length; index++) text += String.fromCharCode(integer(random, 0x20, 0x7e));
	return text;
}

const hugeNumbers = [
	'1048576', '2097152', '1073741824', '2147483648', '4294967296', '9007199254740991', '9007199254740993',
	'18446744073709551616', '99999999999999999999999999999999', '1'.padEnd(400, '0'), '1e308', '1e9', 'Infinity',
	'-1', '-0', '0', '00', '0x20000', '131072.0', '+131072', ' 131072', '１３１０７２', '131072\u0000',
];

const oddValues = ['', ' ', 'null', 'undefined', 'NaN', '[]', '{}', '%s%s%n', '${x}', '\\', '"', "'", '../../etc/passwd', 'scrypt2', 'SCRYPT', 'argon2id'];

function splitLines(text: string): string[] {
	return text.split('\n');
}

/** Index range of the header lines (1..11) in a split original. */
const firstHeader = 1;
const lastHeader = 11;

function editHeader(random: Random, lines: string[]): void {
	const index = integer(random, firstHeader, Math.min(lastHeader, lines.length - 1));
	const [name = 'X', value = ''] = (lines[index] ?? '').split(': ');
	const choice = random();
	let replacement: string;
	if (choice < 0.3) replacement = pick(random, hugeNumbers);
	else if (choice < 0.45) replacement = pick(random, oddValues);
	else if (choice < 0.6) replacement = randomAscii(random, integer(random, 1, 40));
	else if (choice < 0.75 && value.length > 0) {
		const at = integer(random, 0, value.length - 1);
		replacement = value.slice(0, at) + randomAscii(random, 1) + value.slice(at + 1);
	} else if (choice < 0.85) replacement = value + randomAscii(random, integer(random, 1, 4));
	else replacement = value.slice(0, integer(random, 0, Math.max(0, value.length - 1)));
	if (random() < 0.15) {
		// The name instead of the value: case, a typo, no space after the colon, two spaces.
		const form = pick(random, [name!.toLowerCase(), name!.toUpperCase(), `${name}x`, `X-${name}`, `${name} `]);
		lines[index] = random() < 0.5 ? `${form}: ${value}` : pick(random, [`${name}:${value}`, `${name}:  ${value}`, `${name} : ${value}`]);
	} else {
		lines[index] = `${name}: ${replacement}`;
	}
}

const mutations = {
	'bit flip'(random: Random, bytes: Buffer): Buffer {
		const copy = Buffer.from(bytes);
		for (let count = integer(random, 1, 4); count > 0; count--) {
			const at = integer(random, 0, copy.length - 1);
			copy[at]! ^= 1 << integer(random, 0, 7);
		}

		return copy;
	},
	truncation(random: Random, bytes: Buffer): Buffer {
		return bytes.subarray(0, integer(random, 0, bytes.length - 1));
	},
	'edited header line'(random: Random, bytes: Buffer): Buffer {
		const lines = splitLines(bytes.toString('latin1'));
		editHeader(random, lines);
		return Buffer.from(lines.join('\n'), 'utf8');
	},
	'huge number'(random: Random, bytes: Buffer): Buffer {
		const lines = splitLines(bytes.toString('latin1'));
		const name = pick(random, ['Version', 'Keys', 'N', 'r', 'p']);
		const index = lines.findIndex(line => line.startsWith(`${name}: `));
		lines[index] = `${name}: ${pick(random, hugeNumbers)}`;
		return Buffer.from(lines.join('\n'), 'utf8');
	},
	'duplicated header line'(random: Random, bytes: Buffer): Buffer {
		const lines = splitLines(bytes.toString('latin1'));
		const source = integer(random, firstHeader, lastHeader);
		const value = random() < 0.5 ? lines[source]! : `${lines[source]!.split(': ')[0]}: ${randomAscii(random, 8)}`;
		lines.splice(integer(random, firstHeader, lastHeader + 2), 0, value);
		return Buffer.from(lines.join('\n'), 'latin1');
	},
	'removed header line'(random: Random, bytes: Buffer): Buffer {
		const lines = splitLines(bytes.toString('latin1'));
		lines.splice(integer(random, firstHeader, lastHeader + 1), 1);
		return Buffer.from(lines.join('\n'), 'latin1');
	},
	'reordered header lines'(random: Random, bytes: Buffer): Buffer {
		const lines = splitLines(bytes.toString('latin1'));
		const a = integer(random, firstHeader, lastHeader);
		let b = integer(random, firstHeader, lastHeader - 1);
		if (b >= a) b++;
		[lines[a], lines[b]] = [lines[b]!, lines[a]!];
		return Buffer.from(lines.join('\n'), 'latin1');
	},
	'non-UTF-8 bytes'(random: Random, bytes: Buffer): Buffer {
		const junk = pick(random, [[0xff], [0xfe, 0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xc3], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80]]);
		const at = integer(random, 0, bytes.length);
		const replace = random() < 0.5 ? junk.length : 0;
		return Buffer.concat([bytes.subarray(0, at), Buffer.from(junk), bytes.subarray(Math.min(bytes.length, at + replace))]);
	},
	'non-ASCII text'(random: Random, bytes: Buffer): Buffer {
		const at = integer(random, 0, bytes.length);
		const text = pick(random, ['é', 'ｅ', '\u00a0', '\u2028', '\u200b', '\u0000', '\u001b[2J', '\u202e', '😀', 'Ω', '\ufeff']);
		return Buffer.concat([bytes.subarray(0, at), Buffer.from(text, 'utf8'), bytes.subarray(at)]);
	},
	'line ends'(random: Random, bytes: Buffer): Buffer {
		// CRLF alone is tolerated (a file that went through Windows is still good), so it comes with another change;
		// bare CR (old Mac) or a CR in mid-line breaks the armor by itself.
		const text = bytes.toString('latin1');
		const form = random();
		if (form < 0.3) return Buffer.from(text.replaceAll('\n', '\r'), 'latin1');
		if (form < 0.5) {
			const at = integer(random, 0, text.length - 1);
			return Buffer.from(text.slice(0, at) + '\r' + text.slice(at), 'latin1');
		}

		const crlf = Buffer.from(text.replaceAll('\n', '\r\n'), 'latin1');
		const other = pick(random, ['bit flip', 'truncation', 'edited header line', 'removed header line', 'base64 junk'] as const);
		return mutations[other](random, crlf);
	},
	'body under another header'(random: Random, _bytes: Buffer, corpus: FuzzCorpus): Buffer {
		const split = (text: string) => {
			const at = text.indexOf('\n\n');
			return {header: text.slice(0, at), body: text.slice(at)};
		};

		const [headerOf, bodyOf] = pick(random, [
			[corpus.original, corpus.sameShape],
			[corpus.sameShape, corpus.original],
			[corpus.original, corpus.otherShape],
			[corpus.otherShape, corpus.original],
		] as const);
		return Buffer.from(split(headerOf).header + split(bodyOf).body, 'latin1');
	},
	'base64 junk'(random: Random, bytes: Buffer): Buffer {
		const lines = splitLines(bytes.toString('latin1'));
		const bodyStart = 13;
		const bodyEnd = lines.findIndex(line => line.startsWith('-----END'));
		// A second mutation on a file the first one already broke: no body to work on, flip a bit instead.
		if (bodyEnd <= bodyStart) return mutations['bit flip'](random, bytes);
		const index = integer(random, bodyStart, bodyEnd - 1);
		const line = lines[index]!;
		const form = random();
		if (form < 0.35) {
			const at = integer(random, 0, line.length - 1);
			lines[index] = line.slice(0, at) + pick(random, ['!', '-', '_', '.', ' ', '=', '*', '\t', '==', '%']) + line.slice(at + 1);
		} else if (form < 0.5) {
			lines.splice(index, 1);
		} else if (form < 0.6) {
			lines.splice(index, 0, line);
		} else if (form < 0.75) {
			// Re-wrapped at another width, as a mail client might.
			const body = lines.slice(bodyStart, bodyEnd).join('');
			const width = pick(random, [63, 65, 76, 72, 32, 1000]);
			const rewrapped: string[] = [];
			for (let at = 0; at < body.length; at += width) rewrapped.push(body.slice(at, at + width));
			lines.splice(bodyStart, bodyEnd - bodyStart, ...rewrapped);
		} else if (form < 0.85) {
			// Non-canonical: padding dropped or added, or the unused low bits of the last character set.
			const last = lines[bodyEnd - 1]!;
			lines[bodyEnd - 1] = pick(random, [last.replace(/=+$/, ''), `${last}=`, `${last}==`, last.replace(/.(=*)$/, 'B$1'), `${last}A`]);
		} else {
			lines[index] = randomAscii(random, line.length).replaceAll(/[^A-Za-z\d+/]/g, 'A');
		}

		return Buffer.from(lines.join('\n'), 'latin1');
	},
	'armor lines'(random: Random, bytes: Buffer): Buffer {
		const text = bytes.toString('latin1');
		const form = pick(random, [
			(value: string) => value.replace('-----BEGIN', '----BEGIN'),
			(value: string) => value.replace('BEGIN RSCM', 'begin rscm'),
			(value: string) => value.replace('-----END RSCM ENCRYPTION KEY BACKUP-----', '-----END RSCM ENCRYPTION KEY BACKUP----'),
			(value: string) => value.replace(/-----END[^\n]*\n?$/, ''),
			(value: string) => `${value}trailing text\n`,
			(value: string) => `${value}${value}`,
			(value: string) => value.replace('\n\n', '\n'),
			(value: string) => value.replace('\n\n', '\n\n\n'),
			(value: string) => `junk before\n${value}`,
			(value: string) => value.replace('Version: 1', `Version: ${integer(random, 2, 99)}`),
			(value: string) => value.replace(/-----BEGIN[^\n]*\n/, ''),
		]);
		return Buffer.from(form(text), 'latin1');
	},
	'inserted or deleted bytes'(random: Random, bytes: Buffer): Buffer {
		const at = integer(random, 0, bytes.length - 1);
		if (random() < 0.5) return Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + integer(random, 1, 64)))]);
		return Buffer.concat([bytes.subarray(0, at), cryptoRandomBytes(integer(random, 1, 16)), bytes.subarray(at)]);
	},
	'oversized input'(random: Random, bytes: Buffer): Buffer {
		const form = random();
		// Over the cap (refused before parsing) …
		if (form < 0.3) return Buffer.concat([bytes, Buffer.alloc(integer(random, 64 * 1024, 1024 * 1024), pick(random, [0x41, 0x20, 0x0a, 0x00]))]);
		// … or just under it, in the places a careless parser spends quadratic time: one huge header value, a long
		// run of spaces (trailing-blank trimming), thousands of lines.
		const lines = splitLines(bytes.toString('latin1'));
		const room = 64 * 1024 - bytes.length - 16;
		if (form < 0.55) lines[integer(random, firstHeader, lastHeader)] += 'A'.repeat(integer(random, room / 2, room));
		else if (form < 0.8) lines[integer(random, 0, lines.length - 1)] += ' '.repeat(integer(random, room / 2, room)) + 'x';
		else lines.splice(integer(random, 1, lines.length - 1), 0, ...Array.from({length: integer(random, 1000, 20_000)}, () => ''));
		return Buffer.from(lines.join('\n'), 'latin1');
	},
	'authenticated field changed'(random: Random, bytes: Buffer): Buffer {
		// Values that parse: only the AEAD can tell. These reach the KDF on purpose (a changed Salt, N, r or p means
		// another key; the rest is caught by the tag).
		const lines = splitLines(bytes.toString('latin1'));
		const name = pick(random, ['Catalog', 'Created', 'Keys', 'Primary', 'Salt', 'Nonce', 'N', 'r', 'p', 'body']);
		const set = (field: string, value: string) => {
			const index = lines.findIndex(line => line.startsWith(`${field}: `));
			lines[index] = `${field}: ${value}`;
		};

		switch (name) {
			case 'Catalog':
				set('Catalog', '0b7e6d2c-1a3f-4e5d-8c9b-7a6f5e4d3c2b');
				break;
			case 'Created':
				set('Created', new Date(Date.UTC(2020, 0, integer(random, 1, 2000))).toISOString());
				break;
			case 'Keys':
				set('Keys', String(pick(random, [1, 3, 1024])));
				break;
			case 'Primary':
				set('Primary', Array.from({length: 4}, () => cryptoRandomBytes(2).toString('hex')).join('-'));
				break;
			case 'Salt':
				set('Salt', cryptoRandomBytes(16).toString('base64'));
				break;
			case 'Nonce':
				set('Nonce', cryptoRandomBytes(12).toString('base64'));
				break;
			case 'N':
				set('N', String(pick(random, [16_384, 32_768, 65_536, 262_144])));
				break;
			case 'r':
				set('r', String(pick(random, [1, 4, 16])));
				break;
			case 'p':
				set('p', String(pick(random, [2, 4])));
				break;
			default: {
				// A bit of the ciphertext or the tag flipped, re-encoded as canonical base64 and wrapped as written.
				const bodyStart = 13;
				const bodyEnd = lines.findIndex(line => line.startsWith('-----END'));
				const body = Buffer.from(lines.slice(bodyStart, bodyEnd).join(''), 'base64');
				body[integer(random, 0, body.length - 1)]! ^= 1 << integer(random, 0, 7);
				const text = body.toString('base64');
				const wrapped: string[] = [];
				for (let at = 0; at < text.length; at += 64) wrapped.push(text.slice(at, at + 64));
				lines.splice(bodyStart, bodyEnd - bodyStart, ...wrapped);
			}
		}

		return Buffer.from(lines.join('\n'), 'latin1');
	},
} satisfies Record<string, (random: Random, bytes: Buffer, corpus: FuzzCorpus) => Buffer>;

export type MutationKind = keyof typeof mutations;

/** Relative weights: the parser-level mutations dominate; the few that must reach the KDF are kept rare. */
const weights: Record<MutationKind, number> = {
	'bit flip': 14,
	truncation: 8,
	'edited header line': 14,
	'huge number': 8,
	'duplicated header line': 6,
	'removed header line': 5,
	'reordered header lines': 5,
	'non-UTF-8 bytes': 6,
	'non-ASCII text': 4,
	'line ends': 6,
	'body under another header': 2,
	'base64 junk': 10,
	'armor lines': 4,
	'inserted or deleted bytes': 5,
	'oversized input': 1,
	'authenticated field changed': 2,
};

export function mutate(random: Random, corpus: FuzzCorpus, original: Buffer): {kind: MutationKind; bytes: Buffer} {
	const total = Object.values(weights).reduce((sum, weight) => sum + weight, 0);
	let roll = random() * total;
	let kind: MutationKind = 'bit flip';
	for (const [name, weight] of Object.entries(weights) as Array<[MutationKind, number]>) {
		roll -= weight;
		if (roll < 0) {
			kind = name;
			break;
		}
	}

	let bytes = mutations[kind](random, original, corpus);
	// Now and then a second mutation on top of the first.
	if (random() < 0.1 && kind !== 'oversized input') bytes = mutations[pick(random, ['bit flip', 'truncation', 'base64 junk', 'edited header line'] as const)](random, bytes);
	return {kind, bytes};
}

// --- The run ------------------------------------------------------------------------------------------------------

export type KindReport = {count: number; reachedKdf: number; codes: Record<string, number>};

export type FuzzReport = {
	count: number;
	rejected: number;
	/** Mutations equal to the original up to what the parser tolerates (CRLF, trailing blanks): not counted. */
	skippedEquivalent: number;
	reachedKdf: number;
	/** Of those, with a salt or parameters never derived: random key in the mass run. */
	substitutedKdf: number;
	realKdfRuns: Array<{kind: MutationKind; code: string; ms: number}>;
	perKind: Record<string, KindReport>;
	failures: string[];
	/** Median time to parse the largest legitimate backup (1024 keys), the same run's baseline. */
	baselineMs: number;
	/** Median time of a whole decode of the original with the KDF result cached (parse + GCM + payload). */
	decodeBaselineMs: number;
	/** Slowest mutation that did not run a real KDF, after re-timing outliers (best of three runs). */
	maxMs: number;
	maxKind: string;
	/** Time of one real KDF decode of the original, and the slowest real-KDF rejection. */
	realKdfBaselineMs: number;
	realKdfMaxMs: number;
	heapGrowthBytes: number;
	elapsedMs: number;
};

function gcFunction(): () => void {
	v8.setFlagsFromString('--expose-gc');
	return runInNewContext('gc') as () => void;
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)]!;
}

async function timeDecode(bytes: Uint8Array): Promise<{ms: number; error: unknown}> {
	const start = process.hrtime.bigint();
	let error: unknown;
	try {
		const contents = await decodeBackup(bytes, fuzzPassword);
		for (const key of contents.keys) key.key.fill(0);
	} catch (caught) {
		error = caught;
	}

	return {ms: Number(process.hrtime.bigint() - start) / 1e6, error};
}

export type FuzzOptions = {
	count: number;
	seed: number;
	/** How many KDF-reaching mutations with new salt/parameters to run again with the real scrypt at the end. */
	realKdfSamples?: number;
	/** A mutation may take at most this many times the baseline (largest legitimate parse). */
	timeRatio?: number;
	log?: (line: string) => void;
};

export async function runBackupFuzz(options: FuzzOptions): Promise<FuzzReport> {
	const started = Date.now();
	const random = randomGenerator(options.seed ^ 0x5eed);
	const gc = gcFunction();
	const spy = installScryptSpy();
	const failures: string[] = [];
	const perKind: Record<string, KindReport> = {};
	const realQueue: Array<{kind: MutationKind; bytes: Buffer}> = [];
	const timeRatio = options.timeRatio ?? 25;
	try {
		const corpus = await buildCorpus();
		const original = Buffer.from(corpus.original, 'latin1');
		const canonicalOriginal = canonicalForm(original);
		// The original opens (and its derived key is now cached): the mutations are judged against a good file.
		const good = await timeDecode(original);
		if (good.error) throw good.error;
		const realKdfBaselineMs = corpus.realKdfMs;

		const largest = Buffer.from(corpus.largest, 'latin1');
		const parseTimes: number[] = [];
		const decodeTimes: number[] = [];
		for (let round = 0; round < 60; round++) {
			const start = process.hrtime.bigint();
			parseBackupHeader(largest);
			parseTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
			decodeTimes.push((await timeDecode(original)).ms);
		}

		const baselineMs = median(parseTimes);
		const decodeBaselineMs = median(decodeTimes);
		const boundMs = timeRatio * baselineMs;
		const retimeMs = 4 * baselineMs;
		spy.mode = 'substitute';
		gc();
		const heapBefore = process.memoryUsage().heapUsed;

		let rejected = 0;
		let skippedEquivalent = 0;
		let reachedKdf = 0;
		let substitutedKdf = 0;
		let maxMs = 0;
		let maxKind = '';
		for (let index = 0; index < options.count; index++) {
			let mutation = mutate(random, corpus, original);
			while (canonicalForm(mutation.bytes) === canonicalOriginal) {
				skippedEquivalent++;
				mutation = mutate(random, corpus, original);
			}

			const {kind, bytes} = mutation;
			const report = (perKind[kind] ??= {count: 0, reachedKdf: 0, codes: {}});
			report.count++;
			const callsBefore = spy.calls;
			const uncachedBefore = spy.uncached;
			const first = await timeDecode(bytes);
			const error = first.error;
			let ms = first.ms;
			const reached = spy.calls > callsBefore;
			if (reached) {
				reachedKdf++;
				report.reachedKdf++;
				if (spy.uncached > uncachedBefore) {
					substitutedKdf++;
					if (realQueue.length < (options.realKdfSamples ?? 4)) realQueue.push({kind, bytes});
				}
			}

			if (ms > retimeMs) {
				// One slow run can be a GC pause or another process on the CPU; a slow input is slow every time.
				for (let retry = 0; retry < 2 && ms > retimeMs; retry++) ms = Math.min(ms, (await timeDecode(bytes)).ms);
			}

			if (ms > maxMs) [maxMs, maxKind] = [ms, kind];
			const code = isRscmError(error) ? error.code : error === undefined ? 'ACCEPTED' : `crash: ${String(error)}`;
			report.codes[code] = (report.codes[code] ?? 0) + 1;
			if (!acceptedRejections.has(code)) {
				failures.push(`#${index} ${kind}: ${code} (${bytes.length} bytes, base64 ${bytes.subarray(0, 2048).toString('base64')})`);
			} else if ((error as Error).message.includes(fuzzPassword)) {
				failures.push(`#${index} ${kind}: the error message holds the password`);
			} else {
				rejected++;
			}

			if (ms > boundMs) failures.push(`#${index} ${kind}: ${ms.toFixed(2)} ms, over ${timeRatio}× the baseline ${baselineMs.toFixed(3)} ms`);
			if (options.log && (index + 1) % 20_000 === 0) options.log(`  … ${index + 1} mutations, ${failures.length} failures`);
		}

		gc();
		const heapGrowthBytes = process.memoryUsage().heapUsed - heapBefore;

		// The few that reached the KDF with a salt or parameters never derived: again, with the real scrypt.
		spy.mode = 'real';
		const realKdfRuns: FuzzReport['realKdfRuns'] = [];
		let realKdfMaxMs = 0;
		for (const {kind, bytes} of realQueue) {
			const {ms, error} = await timeDecode(bytes);
			const code = isRscmError(error) ? error.code : error === undefined ? 'ACCEPTED' : `crash: ${String(error)}`;
			realKdfRuns.push({kind, code, ms});
			realKdfMaxMs = Math.max(realKdfMaxMs, ms);
			if (!acceptedRejections.has(code)) failures.push(`real KDF ${kind}: ${code}`);
		}

		return {
			count: options.count,
			rejected,
			skippedEquivalent,
			reachedKdf,
			substitutedKdf,
			realKdfRuns,
			perKind,
			failures,
			baselineMs,
			decodeBaselineMs,
			maxMs,
			maxKind,
			realKdfBaselineMs,
			realKdfMaxMs,
			heapGrowthBytes,
			elapsedMs: Date.now() - started,
		};
	} finally {
		spy.restore();
	}
}

export function formatFuzzReport(report: FuzzReport): string {
	const lines = [
		`backup fuzz: ${report.count} mutated files in ${(report.elapsedMs / 1000).toFixed(1)} s — ${report.rejected} rejected, ${report.failures.length} failures; ${report.skippedEquivalent} mutations equal to the original up to tolerated whitespace were redrawn`,
		`  reached the KDF: ${report.reachedKdf} (${((100 * report.reachedKdf) / report.count).toFixed(2)}%), ${report.substitutedKdf} of them with a new salt/parameters; ${report.realKdfRuns.length} of those rerun with the real scrypt: ${report.realKdfRuns.map(run => `${run.code} ${Math.round(run.ms)} ms`).join(', ')}`,
		`  time: slowest ${report.maxMs.toFixed(3)} ms (${report.maxKind}) vs. baseline ${report.baselineMs.toFixed(3)} ms (parse of a 1024-key backup), ratio ${(report.maxMs / report.baselineMs).toFixed(1)}; cached decode ${report.decodeBaselineMs.toFixed(3)} ms; real KDF ${Math.round(report.realKdfBaselineMs)} ms, slowest real-KDF rejection ${Math.round(report.realKdfMaxMs)} ms`,
		`  heap growth after GC: ${(report.heapGrowthBytes / 1024).toFixed(0)} KiB`,
	];
	for (const [kind, entry] of Object.entries(report.perKind).sort(([, a], [, b]) => b.count - a.count)) {
		const codes = Object.entries(entry.codes)
			.map(([code, count]) => `${code} ${count}`)
			.join(', ');
		lines.push(`  ${kind.padEnd(28)} ${String(entry.count).padStart(7)}  KDF ${String(entry.reachedKdf).padStart(5)}  ${codes}`);
	}

	for (const failure of report.failures.slice(0, 20)) lines.push(`  FAIL ${failure}`);
	return lines.join('\n');
}
