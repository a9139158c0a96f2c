import {execFileSync, spawnSync} from 'node:child_process';
import {createCipheriv, randomBytes, randomUUID, scryptSync} from 'node:crypto';
import {chmod, mkdir, open, truncate, writeFile} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import type {ExecutionContext} from 'ava';
import {decodeBackup, encodeBackup, parseBackupHeader} from '../../source/core/backup/backup-codec.ts';
import {readBackupFile, writeBackupFile} from '../../source/core/backup/backup-file.ts';
import {backupSizeCap} from '../../source/core/backup/format.ts';
import type {BackupContents} from '../../source/core/backup/payload.ts';
import {isRscmError, type ErrorCode, type RscmError} from '../../source/errors.ts';
import {fileError} from '../../source/files/file-error.ts';
import {fingerprintKey} from '../../source/core/fingerprint.ts';
import {needing} from '../helpers/precondition.ts';
import {fileTempDirectory} from '../helpers/temp-dir.ts';

// Each real decode runs scrypt with N=2^17 (about half a second here). The shared fixture below is encoded once;
// tests that only need the parser use files that fail before the KDF, or spec-built files with the minimum N.

const password = 'Ünïcødé-Paß1'.normalize('NFC');

function makeContents(keyCount = 3): BackupContents {
	return {
		catalogId: randomUUID(),
		createdAt: '2025-03-01T12:00:00.000Z',
		keys: Array.from({length: keyCount}, (_, index) => ({
			version: index + 1,
			createdAt: new Date(Date.UTC(2024, index, 1)).toISOString(),
			key: randomBytes(32),
			primary: index === keyCount - 1,
		})),
	};
}

const contents = makeContents();
const fixture = encodeBackup(contents, password);

async function rejectsWith(t: ExecutionContext, promise: Promise<unknown>, codes: ErrorCode | ErrorCode[], label = ''): Promise<void> {
	const allowed = Array.isArray(codes) ? codes : [codes];
	try {
		await promise;
		t.fail(`accepted ${label}`);
	} catch (error) {
		t.true(isRscmError(error) && allowed.includes(error.code), `${label}: ${String(error)}`);
		if (error instanceof Error) t.false(error.message.includes(password), 'the message holds the password');
	}
}

function replaceLine(text: string, index: number, line: string | undefined): string {
	const lines = text.split('\n');
	if (line === undefined) lines.splice(index, 1);
	else lines[index] = line;
	return lines.join('\n');
}

function lineIndex(text: string, prefix: string): number {
	return text.split('\n').findIndex(line => line.startsWith(prefix));
}

function bodyOf(text: string): {before: string[]; body: string; after: string[]} {
	const lines = text.split('\n');
	const start = lines.indexOf('') + 1;
	const end = lines.findIndex(line => line.startsWith('-----END'));
	return {before: lines.slice(0, start), body: lines.slice(start, end).join(''), after: lines.slice(end)};
}

function withBody(text: string, body: string): string {
	const {before, after} = bodyOf(text);
	return [...before, ...(body.match(/.{1,64}/g) ?? []), ...after].join('\n');
}

/** A second implementation written from docs/FORMATS.md alone, to craft files the encoder refuses to write. */
function buildFromSpec(options: {
	catalogId: string;
	headerCatalogId?: string;
	created: number;
	keyCount?: number;
	primary?: string;
	records: Array<{version: number; created: number; primary: number; key: Buffer}>;
	magic?: Buffer;
	N?: number;
}): string {
	const N = options.N ?? 2 ** 14;
	const salt = randomBytes(16);
	const nonce = randomBytes(12);
	const primaryRecord = options.records.find(record => record.primary === 1) ?? options.records[0];
	const header = [
		'-----BEGIN RSCM ENCRYPTION KEY BACKUP-----',
		'Version: 1',
		`Catalog: ${options.headerCatalogId ?? options.catalogId}`,
		`Created: ${new Date(options.created).toISOString()}`,
		`Keys: ${options.keyCount ?? options.records.length}`,
		`Primary: ${options.primary ?? fingerprintKey(primaryRecord?.key ?? Buffer.alloc(32))}`,
		'KDF: scrypt',
		`N: ${N}`,
		'r: 8',
		'p: 1',
		`Salt: ${salt.toString('base64')}`,
		`Nonce: ${nonce.toString('base64')}`,
	].join('\n') + '\n';
	const fixed = Buffer.alloc(36);
	(options.magic ?? Buffer.from([0x52, 0x53, 0x43, 0x4d, 0x4b, 0x42, 0x00, 0x01])).copy(fixed, 0);
	Buffer.from(options.catalogId.replaceAll('-', ''), 'hex').copy(fixed, 8);
	fixed.writeBigUInt64BE(BigInt(options.created), 24);
	fixed.writeUInt32BE(options.records.length, 32);
	const records = options.records.map(record => {
		const bytes = Buffer.alloc(45);
		bytes.writeUInt32BE(record.version, 0);
		bytes.writeBigUInt64BE(BigInt(record.created), 4);
		bytes.writeUInt8(record.primary, 12);
		record.key.copy(bytes, 13);
		return bytes;
	});
	const key = scryptSync(Buffer.from(password, 'utf8'), salt, 32, {N, r: 8, p: 1, maxmem: 256 * 1024 * 1024});
	const cipher = createCipheriv('aes-256-gcm', key, nonce, {authTagLength: 16});
	cipher.setAAD(Buffer.from(header, 'ascii'));
	const body = Buffer.concat([cipher.update(Buffer.concat([fixed, ...records])), cipher.final(), cipher.getAuthTag()]);
	return `${header}\n${(body.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END RSCM ENCRYPTION KEY BACKUP-----\n`;
}

function specRecords(count: number): Array<{version: number; created: number; primary: number; key: Buffer}> {
	return Array.from({length: count}, (_, index) => ({version: index + 1, created: 1_700_000_000_000 + index, primary: index === 0 ? 1 : 0, key: randomBytes(32)}));
}

const temporaryDirectory = fileTempDirectory(test, 'rscm-backup-test-');

/** mkfifo is coreutils (.ci/run installs it where it is missing). */
const mkfifoMissing = spawnSync('mkfifo', ['--version']).error === undefined ? undefined : 'mkfifo is not installed';

// --- Round trip and format --------------------------------------------------------------------------------------

test('a backup round-trips every key version, and the text is the documented armor', async t => {
	const text = await fixture;
	t.true(text.startsWith('-----BEGIN RSCM ENCRYPTION KEY BACKUP-----\nVersion: 1\n'));
	t.true(text.endsWith('\n-----END RSCM ENCRYPTION KEY BACKUP-----\n'));
	t.regex(text, /\nKDF: scrypt\nN: 131072\nr: 8\np: 1\nSalt: [\w+/]{22}==\nNonce: [\w+/]{16}\n\n/);
	for (const line of bodyOf(text).body.match(/.{1,64}/g) ?? []) t.true(line.length <= 64);
	t.false(/[^\n\x20-\x7e]/.test(text));

	const started = performance.now();
	const decoded = await decodeBackup(text, password);
	t.log(`one decode (scrypt N=2^17, r=8, p=1) took ${Math.round(performance.now() - started)} ms`);
	t.is(decoded.catalogId, contents.catalogId);
	t.is(decoded.createdAt, contents.createdAt);
	// The keys are copies: the decrypted payload was zeroed, so a view into it would read as zeros here.
	t.deepEqual(
		decoded.keys.map(key => ({...key, key: key.key.toString('hex')})),
		contents.keys.map(key => ({...key, key: key.key.toString('hex')})),
	);
});

test('the clear header can be read without the password', async t => {
	const header = parseBackupHeader(await fixture);
	t.is(header.version, 1);
	t.is(header.catalogId, contents.catalogId);
	t.is(header.createdAt, contents.createdAt);
	t.is(header.keyCount, 3);
	t.is(header.primaryFingerprint, fingerprintKey(contents.keys[2]?.key ?? Buffer.alloc(0)));
	t.deepEqual(header.kdf, {name: 'scrypt', N: 131_072, r: 8, p: 1});
	t.is(header.salt.length, 16);
	t.is(header.nonce.length, 12);
	t.deepEqual(parseBackupHeader(Buffer.from(await fixture)), header);
});

test('the NFD form of the password opens a backup written with the NFC form', async t => {
	const nfd = password.normalize('NFD');
	t.not(nfd, password);
	const decoded = await decodeBackup(await fixture, nfd);
	t.is(decoded.keys.length, 3);
});

test('a wrong password gives WRONG_PASSWORD with the deliberate shared message', async t => {
	const error = await t.throwsAsync(decodeBackup(await fixture, 'Ünïcødé-Paß2'));
	t.true(isRscmError(error, 'WRONG_PASSWORD'));
	t.is(error?.message, 'Wrong password, or the backup file was modified.');
});

test('CRLF line ends, trailing spaces and surrounding blank lines are tolerated', async t => {
	const text = await fixture;
	const pasted = '\r\n  \r\n' + text.split('\n').map(line => (line === '' ? line : `${line}  \t`)).join('\r\n') + '\r\n\r\n';
	const decoded = await decodeBackup(pasted, password);
	t.is(decoded.catalogId, contents.catalogId);
	t.deepEqual(parseBackupHeader(`\uFEFF${text}`), parseBackupHeader(text));
});

test('a file built from docs/FORMATS.md alone decodes (the spec and the code agree)', async t => {
	const catalogId = randomUUID();
	const records = specRecords(2);
	const decoded = await decodeBackup(buildFromSpec({catalogId, created: 1_700_000_000_123, records}), password);
	t.is(decoded.catalogId, catalogId);
	t.is(decoded.createdAt, new Date(1_700_000_000_123).toISOString());
	t.deepEqual(
		decoded.keys.map(key => [key.version, key.primary, key.key.toString('hex')]),
		records.map(record => [record.version, record.primary === 1, record.key.toString('hex')]),
	);
});

// --- Tampering ----------------------------------------------------------------------------------------------------

const headerEdits: Array<[string, (text: string) => string, ErrorCode[]]> = [
	['BEGIN', text => replaceLine(text, lineIndex(text, '-----BEGIN'), '-----BEGIN RSCM ENCRYPTION KEY BACKUP----'), ['NOT_A_BACKUP']],
	['Version', text => replaceLine(text, lineIndex(text, 'Version:'), 'Version: 2'), ['UNSUPPORTED_BACKUP_VERSION']],
	['Catalog', text => replaceLine(text, lineIndex(text, 'Catalog:'), `Catalog: ${randomUUID()}`), ['WRONG_PASSWORD']],
	['Created', text => replaceLine(text, lineIndex(text, 'Created:'), 'Created: 2025-03-01T12:00:00.001Z'), ['WRONG_PASSWORD']],
	['Keys', text => replaceLine(text, lineIndex(text, 'Keys:'), 'Keys: 2'), ['NOT_A_BACKUP']],
	['Primary', text => replaceLine(text, lineIndex(text, 'Primary:'), `Primary: ${fingerprintKey(contents.keys[0]?.key ?? Buffer.alloc(0))}`), ['WRONG_PASSWORD']],
	['KDF', text => replaceLine(text, lineIndex(text, 'KDF:'), 'KDF: argon2id'), ['NOT_A_BACKUP']],
	['N', text => replaceLine(text, lineIndex(text, 'N:'), 'N: 65536'), ['WRONG_PASSWORD']],
	['r', text => replaceLine(text, lineIndex(text, 'r:'), 'r: 4'), ['WRONG_PASSWORD']],
	['p', text => replaceLine(text, lineIndex(text, 'p:'), 'p: 2'), ['WRONG_PASSWORD']],
	['Salt', text => replaceLine(text, lineIndex(text, 'Salt:'), text.split('\n')[lineIndex(text, 'Salt:')]?.replace(/^Salt: (.)/, (_, c: string) => `Salt: ${c === 'A' ? 'B' : 'A'}`)), ['WRONG_PASSWORD']],
	['Nonce', text => replaceLine(text, lineIndex(text, 'Nonce:'), text.split('\n')[lineIndex(text, 'Nonce:')]?.replace(/^Nonce: (.)/, (_, c: string) => `Nonce: ${c === 'A' ? 'B' : 'A'}`)), ['WRONG_PASSWORD']],
	['blank line', text => replaceLine(text, text.split('\n').indexOf(''), 'Comment: hello'), ['NOT_A_BACKUP']],
	['END', text => text.replace('-----END RSCM ENCRYPTION KEY BACKUP-----', '-----END RSCM ENCRYPTION KEY BACKUP----'), ['NOT_A_BACKUP']],
];

for (const [name, edit, codes] of headerEdits) {
	test(`a backup with the ${name} line changed is rejected (${codes.join(' or ')})`, async t => {
		const text = await fixture;
		const edited = edit(text);
		t.not(edited, text);
		await rejectsWith(t, decodeBackup(edited, password), codes, name);
	});
}

test('missing, duplicate, reordered, unknown or misspelled header lines are NOT_A_BACKUP, before the KDF', async t => {
	const text = await fixture;
	const lines = text.split('\n');
	const headerIndexes = lines.map((line, index) => (/^\w+: /.test(line) ? index : -1)).filter(index => index >= 0);
	t.is(headerIndexes.length, 11);
	const variants: Array<[string, string]> = [];
	for (const index of headerIndexes) {
		const line = lines[index] ?? '';
		variants.push([`without ${line}`, replaceLine(text, index, undefined)]);
		variants.push([`${line} twice`, replaceLine(text, index, `${line}\n${line}`)]);
		variants.push([`${line} lowercased`, replaceLine(text, index, line.replace(/^\w+/, name => (name === name.toLowerCase() ? name.toUpperCase() : name.toLowerCase())))]);
		variants.push([`${line} with two spaces`, replaceLine(text, index, line.replace(': ', ':  '))]);
		variants.push([`${line} with a leading space`, replaceLine(text, index, ` ${line}`)]);
		if (index !== headerIndexes.at(-1)) {
			const next = lines[index + 1] ?? '';
			variants.push([`${line} swapped with the next line`, replaceLine(replaceLine(text, index, next), index + 1, line)]);
		}
	}

	variants.push(['an unknown header line', replaceLine(text, lineIndex(text, 'Nonce:'), `${lines[lineIndex(text, 'Nonce:')] ?? ''}\nComment: hi`)]);
	variants.push(['Version: 01', replaceLine(text, lineIndex(text, 'Version:'), 'Version: 01')]);
	variants.push(['an upper-case catalog id', text.replace(contents.catalogId, contents.catalogId.toUpperCase())]);
	variants.push(['a Created without milliseconds', replaceLine(text, lineIndex(text, 'Created:'), 'Created: 2025-03-01T12:00:00Z')]);
	variants.push(['Keys: 0', replaceLine(text, lineIndex(text, 'Keys:'), 'Keys: 0')]);
	variants.push(['a malformed Primary', replaceLine(text, lineIndex(text, 'Primary:'), 'Primary: 3F2A-91C0-77DE-0B14')]);
	variants.push(['non-canonical Salt base64', replaceLine(text, lineIndex(text, 'Salt:'), (lines[lineIndex(text, 'Salt:')] ?? '').replace(/.==$/, 'B=='))]);
	variants.push(['a short Nonce', replaceLine(text, lineIndex(text, 'Nonce:'), 'Nonce: AAAAAAAAAAAA')]);
	variants.push(['two blank lines', text.replace('\n\n', '\n\n\n')]);

	// NOT_A_BACKUP itself shows the parser caught each one: an edited file that reached the KDF would fail the tag
	// and say WRONG_PASSWORD. The time bound is loose because other tests keep the thread pool busy meanwhile.
	const started = performance.now();
	for (const [label, variant] of variants) {
		if (variant === text) t.fail(`${label} did not change the text`);
		await rejectsWith(t, decodeBackup(variant, password), 'NOT_A_BACKUP', label);
	}

	t.true(performance.now() - started < 3000, 'a variant ran the KDF');
});

test('a body with a character flipped anywhere is rejected', async t => {
	const text = await fixture;
	const {body} = bodyOf(text);
	const data = body.replace(/=+$/, '');
	const positions = [0, 63, 64, Math.floor(data.length / 2), data.length - 22, data.length - 1];
	await Promise.all(
		positions.map(async position => {
			const original = data[position] ?? '';
			const flipped = body.slice(0, position) + (original === 'A' ? 'B' : 'A') + body.slice(position + 1);
			// The last character carries padding bits, so flipping it may make the base64 non-canonical instead.
			await rejectsWith(t, decodeBackup(withBody(text, flipped), password), ['WRONG_PASSWORD', 'NOT_A_BACKUP'], `flip at ${position}`);
		}),
	);
	const swapped = withBody(text, body.slice(64, 128) + body.slice(0, 64) + body.slice(128));
	await rejectsWith(t, decodeBackup(swapped, password), 'WRONG_PASSWORD', 'body lines swapped');
});

test('a re-wrapped, padded or extended body is NOT_A_BACKUP', async t => {
	const text = await fixture;
	const {before, body, after} = bodyOf(text);
	const rewrapped = [...before, ...(body.match(/.{1,76}/g) ?? []), ...after].join('\n');
	await rejectsWith(t, decodeBackup(rewrapped, password), 'NOT_A_BACKUP', 're-wrapped at 76');
	await rejectsWith(t, decodeBackup(withBody(text, `${body.replace(/=+$/, '')}AAAA`), password), 'NOT_A_BACKUP', 'longer body');
	// The first character, not the first 'A': a random body lacks an 'A' about one run in fifty, and was then accepted.
	await rejectsWith(t, decodeBackup(withBody(text, `*${body.slice(1)}`), password), 'NOT_A_BACKUP', 'non-base64 character');
	await rejectsWith(t, decodeBackup(text.replace('\n\n', '\n\n\n'), password), 'NOT_A_BACKUP', 'empty body line');
	await rejectsWith(t, decodeBackup(`junk\n${text}`, password), 'NOT_A_BACKUP', 'text before BEGIN');
	await rejectsWith(t, decodeBackup(`${text}junk\n`, password), 'NOT_A_BACKUP', 'text after END');
	await rejectsWith(t, decodeBackup(`${text}${text}`, password), 'NOT_A_BACKUP', 'two backups');
	await rejectsWith(t, decodeBackup(text.replace('Version: 1', 'Versión: 1'), password), 'NOT_A_BACKUP', 'non-ASCII');
	// Hostile whitespace: a parser with a backtracking trim would spend seconds here.
	const started = performance.now();
	await rejectsWith(t, decodeBackup(`${' \t'.repeat(30_000)}x\n${text}`, password), 'NOT_A_BACKUP', 'long whitespace run');
	await rejectsWith(t, decodeBackup(`${text.slice(0, 60)}${':'.repeat(60_000)}`, password), 'NOT_A_BACKUP', 'long colon run');
	t.true(performance.now() - started < 1000);
});

test('a truncated backup is rejected at every cut, before the KDF', async t => {
	const text = await fixture;
	// Only the final line feed may go: everything up to and including the END line is needed.
	const lastNeeded = text.length - 1;
	const started = performance.now();
	for (let cut = 0; cut < lastNeeded; cut += cut < 40 || cut > lastNeeded - 80 ? 1 : 7) {
		await rejectsWith(t, decodeBackup(text.slice(0, cut), password), 'NOT_A_BACKUP', `cut at ${cut}`);
	}

	t.true(performance.now() - started < 3000, 'a truncated file ran the KDF');
});

test('a payload that disagrees with its authenticated header is NOT_A_BACKUP', async t => {
	const catalogId = randomUUID();
	const created = 1_700_000_000_000;
	const twoPrimaries = specRecords(2).map(record => ({...record, primary: 1}));
	const duplicateVersions = specRecords(2).map(record => ({...record, version: 7}));
	const noPrimary = specRecords(2).map(record => ({...record, primary: 0}));
	const badFlag = specRecords(1).map(record => ({...record, primary: 2}));
	const versionZero = specRecords(1).map(record => ({...record, version: 0}));
	const cases: Array<[string, string]> = [
		['another catalog id inside', buildFromSpec({catalogId, headerCatalogId: randomUUID(), created, records: specRecords(1)})],
		['another primary fingerprint', buildFromSpec({catalogId, created, primary: '0000-0000-0000-0000', records: specRecords(2)})],
		['two primaries', buildFromSpec({catalogId, created, records: twoPrimaries})],
		['no primary', buildFromSpec({catalogId, created, records: noPrimary})],
		['duplicate versions', buildFromSpec({catalogId, created, records: duplicateVersions})],
		['primary flag 2', buildFromSpec({catalogId, created, records: badFlag})],
		['version 0', buildFromSpec({catalogId, created, records: versionZero})],
		['wrong magic', buildFromSpec({catalogId, created, records: specRecords(1), magic: Buffer.from('RSCMKB\x00\x02', 'latin1')})],
	];
	await Promise.all(cases.map(async ([label, text]) => rejectsWith(t, decodeBackup(text, password), 'NOT_A_BACKUP', label)));
});

// --- Work-factor caps -------------------------------------------------------------------------------------------

test('an absurd scrypt N is refused before the KDF runs (compared with a real decode)', async t => {
	const text = await fixture;
	const realStarted = performance.now();
	await decodeBackup(text, password);
	const realDecode = performance.now() - realStarted;

	const absurd = replaceLine(text, lineIndex(text, 'N:'), `N: ${2 ** 30}`);
	const started = performance.now();
	await rejectsWith(t, decodeBackup(absurd, password), 'NOT_A_BACKUP', 'N=2^30');
	const refused = performance.now() - started;
	t.log(`real decode ${Math.round(realDecode)} ms, N=2^30 refused in ${refused.toFixed(2)} ms`);
	t.true(refused * 20 < realDecode, `refusing took ${refused} ms against ${realDecode} ms for a real decode`);
});

test('every scrypt parameter outside the caps is NOT_A_BACKUP', async t => {
	const text = await fixture;
	const parameters: Array<[string, string]> = [
		['N', String(2 ** 21)],
		['N', String(2 ** 13)],
		['N', '131071'],
		['N', '0'],
		['r', '33'],
		['r', '0'],
		['p', '17'],
		['p', '0'],
		// Within each cap alone, but over the memory cap (1 GiB) or the cost cap.
		['N', String(2 ** 20)],
		['p', '16'],
	];
	const started = performance.now();
	for (const [name, value] of parameters) {
		await rejectsWith(t, decodeBackup(replaceLine(text, lineIndex(text, `${name}:`), `${name}: ${value}`), password), 'NOT_A_BACKUP', `${name}=${value}`);
	}

	t.true(performance.now() - started < 1000);
});

test('a newer format version is reported as such even when the rest is unknown to us', async t => {
	const future = '-----BEGIN RSCM ENCRYPTION KEY BACKUP-----\nVersion: 2\nKDF: argon2id\nSomething: new\n\nAAAA\n-----END RSCM ENCRYPTION KEY BACKUP-----\n';
	await rejectsWith(t, decodeBackup(future, password), 'UNSUPPORTED_BACKUP_VERSION');
	t.true(isRscmError(t.throws(() => parseBackupHeader(future)), 'UNSUPPORTED_BACKUP_VERSION'));
});

// --- Writing ------------------------------------------------------------------------------------------------------

test('encoding enforces the password policy and the keyring invariants, before any KDF', async t => {
	await rejectsWith(t, encodeBackup(makeContents(), 'password'), 'WEAK_PASSWORD');
	const invalid: Array<[string, BackupContents]> = [
		['no keys', {...makeContents(), keys: []}],
		['two primaries', {...makeContents(2), keys: makeContents(2).keys.map(key => ({...key, primary: true}))}],
		['no primary', {...makeContents(2), keys: makeContents(2).keys.map(key => ({...key, primary: false}))}],
		['duplicate versions', {...makeContents(2), keys: makeContents(2).keys.map(key => ({...key, version: 1}))}],
		['a short key', {...makeContents(1), keys: makeContents(1).keys.map(key => ({...key, key: randomBytes(16)}))}],
		['version 0', {...makeContents(1), keys: makeContents(1).keys.map(key => ({...key, version: 0}))}],
		['a bad catalog id', {...makeContents(1), catalogId: 'not-a-uuid'}],
		['a bad time', {...makeContents(1), createdAt: 'yesterday'}],
		['too many keys', makeContents(1025)],
	];
	for (const [label, value] of invalid) await rejectsWith(t, encodeBackup(value, password), 'INVALID_INPUT', label);
});

test('a keyring of 1024 versions still fits under the size cap', async t => {
	const text = await encodeBackup(makeContents(1024), password);
	t.true(text.length <= backupSizeCap, `${text.length} bytes`);
	t.is(parseBackupHeader(text).keyCount, 1024);
});

// --- Files ----------------------------------------------------------------------------------------------------------

test('a backup written to a file reads back byte for byte', async t => {
	const file = path.join(temporaryDirectory, 'key.snk');
	await writeFile(file, await fixture);
	const bytes = await readBackupFile(file);
	t.is(Buffer.from(bytes).toString('utf8'), await fixture);
	t.deepEqual(parseBackupHeader(bytes), parseBackupHeader(await fixture));
});

test('random binary, invalid UTF-8, non-ASCII text and an empty file are NOT_A_BACKUP', async t => {
	const binary = path.join(temporaryDirectory, 'random.bin');
	await writeFile(binary, randomBytes(4096));
	await rejectsWith(t, decodeBackup(await readBackupFile(binary), password), 'NOT_A_BACKUP', 'random bytes');
	await rejectsWith(t, decodeBackup(new Uint8Array([0xff, 0xfe, 0x00, 0x41]), password), 'NOT_A_BACKUP', 'invalid UTF-8');
	await rejectsWith(t, decodeBackup(Buffer.from('\0\0\0\0'), password), 'NOT_A_BACKUP', 'NUL bytes');
	await rejectsWith(t, decodeBackup('Пароль', password), 'NOT_A_BACKUP', 'non-ASCII text');
	const empty = path.join(temporaryDirectory, 'empty.snk');
	await writeFile(empty, '');
	const bytes = await readBackupFile(empty);
	t.is(bytes.length, 0);
	await rejectsWith(t, decodeBackup(bytes, password), 'NOT_A_BACKUP', 'empty');
	await rejectsWith(t, decodeBackup(' \n\r\n\t', password), 'NOT_A_BACKUP', 'whitespace only');
});

test('a directory, a missing file and a path through a file map to their codes, reading and writing alike', async t => {
	const directory = path.join(temporaryDirectory, 'a-directory.snk');
	await mkdir(directory);
	await rejectsWith(t, readBackupFile(directory), 'IS_A_DIRECTORY');
	await rejectsWith(t, writeBackupFile(directory, await fixture, true), 'IS_A_DIRECTORY');
	await rejectsWith(t, readBackupFile(path.join(temporaryDirectory, 'missing.snk')), 'FILE_NOT_FOUND');
	await rejectsWith(t, writeBackupFile(path.join(temporaryDirectory, 'missing', 'key.snk'), await fixture, false), 'DIRECTORY_NOT_FOUND');
	// A path through a regular file (ENOTDIR): the same code for both, as files/file-error.ts gives it.
	const file = path.join(temporaryDirectory, 'plain-file');
	await writeFile(file, 'x');
	await rejectsWith(t, readBackupFile(path.join(file, 'child.snk')), 'DIRECTORY_NOT_FOUND');
	await rejectsWith(t, writeBackupFile(path.join(file, 'child.snk'), await fixture, false), 'DIRECTORY_NOT_FOUND');
});

test('a backup that cannot be read says what to give instead', async t => {
	const directory = path.join(temporaryDirectory, 'hinted-directory.snk');
	await mkdir(directory);
	const isDirectory = await t.throwsAsync(readBackupFile(directory));
	t.is((isDirectory as RscmError).hint, 'Give the path of the .snk file itself.');
	const missing = await t.throwsAsync(readBackupFile(path.join(temporaryDirectory, 'no-such.snk')));
	t.is((missing as RscmError).hint, 'Check the path of the backup file.');
});

test('reading and writing a backup share one mapping of file-system errors (files/file-error.ts)', t => {
	// ENOSPC cannot be provoked on a real file system here, nor EACCES as root: the mapping itself is checked for both
	// actions, and the file tests around this one show that readBackupFile and writeBackupFile go through it.
	const expected: Record<string, ErrorCode> = {
		ENOTDIR: 'DIRECTORY_NOT_FOUND',
		ENOENT: 'FILE_NOT_FOUND',
		EACCES: 'PERMISSION_DENIED',
		ENOSPC: 'DISK_FULL',
		EISDIR: 'IS_A_DIRECTORY',
	};
	for (const action of ['read', 'write']) {
		for (const [code, rscmCode] of Object.entries(expected)) {
			const error = fileError({code}, '/srv/backups/key.snk', action);
			t.is(error.code, rscmCode, `${action} ${code}`);
			t.true(error.message.includes('/srv/backups/key.snk'), `${action} ${code}: ${error.message}`);
		}
	}
});

test('an unreadable file is PERMISSION_DENIED', async t => {
	if (process.getuid?.() === 0) {
		t.pass('running as root: permissions are not enforced');
		return;
	}

	const file = path.join(temporaryDirectory, 'unreadable.snk');
	await writeFile(file, await fixture);
	await chmod(file, 0o000);
	await rejectsWith(t, readBackupFile(file), 'PERMISSION_DENIED');
});

test('files over the cap are BACKUP_TOO_LARGE, checked before reading them whole', async t => {
	const atCap = path.join(temporaryDirectory, 'at-cap.snk');
	await writeFile(atCap, Buffer.alloc(backupSizeCap, 0x41));
	t.is((await readBackupFile(atCap)).length, backupSizeCap);

	const overCap = path.join(temporaryDirectory, 'over-cap.snk');
	await writeFile(overCap, Buffer.alloc(backupSizeCap + 1, 0x41));
	await rejectsWith(t, readBackupFile(overCap), 'BACKUP_TOO_LARGE');

	// A sparse 8 GiB file: reading it whole would take seconds and all the memory; the size check makes it instant.
	const huge = path.join(temporaryDirectory, 'huge.snk');
	await (await open(huge, 'w')).close();
	await truncate(huge, 8 * 1024 ** 3);
	const started = performance.now();
	await rejectsWith(t, readBackupFile(huge), 'BACKUP_TOO_LARGE');
	t.true(performance.now() - started < 1000);

	await rejectsWith(t, decodeBackup('A'.repeat(backupSizeCap + 1), password), 'BACKUP_TOO_LARGE', 'long string');
	await rejectsWith(t, decodeBackup(new Uint8Array(backupSizeCap + 1), password), 'BACKUP_TOO_LARGE', 'long bytes');
});

needing(mkfifoMissing, test, 'a FIFO is refused without hanging', async t => {
	const fifo = path.join(temporaryDirectory, 'fifo.snk');
	execFileSync('mkfifo', [fifo]);
	await rejectsWith(t, readBackupFile(fifo), 'NOT_A_BACKUP');
});
