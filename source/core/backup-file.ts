import {createCipheriv, createDecipheriv, randomBytes, scrypt} from 'node:crypto';
import {performance} from 'node:perf_hooks';
import {constants as fsConstants} from 'node:fs';
import {open} from 'node:fs/promises';
import {RscmError} from '../errors.ts';
import {fingerprintKey, isKeyFingerprint} from './fingerprint.ts';
import {assertBackupPassword, normalizePassword} from './password-policy.ts';

/**
 * The password-protected key backup (`.snk`), specified in docs/FORMATS.md, "Backup file (.snk)".
 *
 *   -----BEGIN RSCM ENCRYPTION KEY BACKUP-----
 *   Version: 1
 *   Catalog: 6f1c…            (lowercase UUID)
 *   Created: 2025-03-01T12:00:00.000Z
 *   Keys: 2
 *   Primary: 3f2a-91c0-77de-0b14
 *   KDF: scrypt
 *   N: 131072
 *   r: 8
 *   p: 1
 *   Salt: <base64, 16 bytes>
 *   Nonce: <base64, 12 bytes>
 *
 *   <base64 of AES-256-GCM ciphertext ‖ tag, 64 columns>
 *   -----END RSCM ENCRYPTION KEY BACKUP-----
 *
 * Threats it answers: the file travels by copy and paste, mail and USB sticks, so it is text that survives a
 * terminal (CRLF and trailing spaces are tolerated, nothing else); anyone may edit it, so the whole header is the
 * GCM associated data and the body is authenticated; anyone may hand rscm a hostile file, so parsing is strict,
 * the size is capped before reading and the scrypt parameters are capped before the KDF runs (a file asking for
 * N = 2^30 would otherwise pin a CPU and gigabytes of memory); a wrong password and a modified file give the same
 * error, so the error tells an attacker nothing about which part failed.
 */

export type BackupKey = {version: number; createdAt: string; key: Buffer; primary: boolean};

export type BackupContents = {catalogId: string; createdAt: string; keys: BackupKey[]};

export type BackupHeader = {
	version: 1;
	catalogId: string;
	createdAt: string;
	keyCount: number;
	primaryFingerprint: string;
	kdf: {name: 'scrypt'; N: number; r: number; p: number};
	salt: Buffer;
	nonce: Buffer;
};

export const backupFormatVersion = 1;
/** Files larger than this are refused before they are read whole: a backup of even a long keyring is a few KiB. */
export const backupSizeCap = 64 * 1024;
/** Far more versions than a keyring ever holds (one per key change), and still below the size cap. */
export const maximumBackupKeys = 1024;

const beginLine = '-----BEGIN RSCM ENCRYPTION KEY BACKUP-----';
const endLine = '-----END RSCM ENCRYPTION KEY BACKUP-----';
const bodyColumns = 64;

/** Written parameters (docs/FORMATS.md): about half a second on a server core, 128 MiB of memory. */
const scryptWrite = {N: 2 ** 17, r: 8, p: 1} as const;
/** Caps on what a file may ask for, checked before the KDF runs. */
const scryptCaps = {minimumN: 2 ** 14, maximumN: 2 ** 20, maximumR: 32, maximumP: 16} as const;
/** OpenSSL needs 128·r·(N+2) + 128·r·p bytes; anything above this is refused rather than attempted. */
const scryptMaxmem = 256 * 1024 * 1024;
/** N·r·p bounds the CPU time: up to 4× the written cost (about two seconds here). */
const scryptMaximumCost = 4 * scryptWrite.N * scryptWrite.r * scryptWrite.p;

const saltLength = 16;
const nonceLength = 12;
const tagLength = 16;
const derivedKeyLength = 32;
const keyLength = 32;
/** The largest time a JavaScript Date can hold (ms since the epoch); a u64 from a payload may exceed it. */
const maximumTime = 8.64e15;

/** Payload: magic ‖ catalog id (16) ‖ created ms (u64) ‖ key count (u32) ‖ per key: version (u32) ‖ created ms (u64) ‖ primary (u8) ‖ key (32). */
const payloadMagic = Buffer.from('RSCMKB\x00\x01', 'latin1');
const payloadFixedLength = payloadMagic.length + 16 + 8 + 4;
const payloadKeyLength = 4 + 8 + 1 + keyLength;

const headerNames = ['Version', 'Catalog', 'Created', 'Keys', 'Primary', 'KDF', 'N', 'r', 'p', 'Salt', 'Nonce'] as const;
type HeaderName = (typeof headerNames)[number];

const uuidPattern = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/;
const decimalPattern = /^(?:0|[1-9]\d{0,15})$/;

const notABackupHint = 'Choose the .snk file that rscm or the Backup dialog wrote.';

function notABackup(detail: string): RscmError {
	return new RscmError('NOT_A_BACKUP', `The file is not an rscm key backup: ${detail}.`, {hint: notABackupHint});
}

function wrongPassword(): RscmError {
	// Deliberately one error for both causes: GCM cannot tell them apart, and neither should an attacker.
	return new RscmError('WRONG_PASSWORD', 'Wrong password, or the backup file was modified.', {
		hint: 'Type the password given when the backup was made. If it is right, the file was changed or damaged: use another copy.',
	});
}

// --- Encoding ---------------------------------------------------------------------------------------------------

function canonicalTime(value: string, what: string): {iso: string; ms: number} {
	const ms = Date.parse(value);
	if (!Number.isFinite(ms) || ms < 0) throw new RscmError('INVALID_INPUT', `${what} is not a valid time.`);
	return {iso: new Date(ms).toISOString(), ms};
}

function uuidToBytes(uuid: string): Buffer {
	return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

function bytesToUuid(bytes: Buffer): string {
	const hex = bytes.toString('hex');
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The same invariants decodeBackup checks; refusing them on write means no such file is ever produced. */
function validateContents(contents: BackupContents): {catalogId: string; created: number; keys: Array<BackupKey & {createdMs: number}>} {
	const catalogId = contents.catalogId.toLowerCase();
	if (!uuidPattern.test(catalogId)) throw new RscmError('INVALID_INPUT', 'The catalog id is not a UUID.');
	const created = canonicalTime(contents.createdAt, 'The backup creation time').ms;
	if (contents.keys.length === 0 || contents.keys.length > maximumBackupKeys) {
		throw new RscmError('INVALID_INPUT', `A backup holds between 1 and ${maximumBackupKeys} key versions.`);
	}

	const versions = new Set<number>();
	for (const key of contents.keys) {
		if (!Number.isSafeInteger(key.version) || key.version < 1 || key.version > 0xff_ff_ff_ff) {
			throw new RscmError('INVALID_INPUT', 'A key version must be an integer from 1 to 4294967295.');
		}

		if (versions.has(key.version)) throw new RscmError('INVALID_INPUT', `Key version ${key.version} appears twice.`);
		versions.add(key.version);
		if (key.key.length !== keyLength) throw new RscmError('INVALID_INPUT', `Key version ${key.version} is not a 256-bit key.`);
	}

	if (contents.keys.filter(key => key.primary).length !== 1) {
		throw new RscmError('INVALID_INPUT', 'Exactly one key version must be primary.');
	}

	const keys = contents.keys.map(key => ({...key, createdMs: canonicalTime(key.createdAt, `The creation time of key version ${key.version}`).ms}));
	return {catalogId, created, keys};
}

function encodePayload(catalogId: string, created: number, keys: Array<BackupKey & {createdMs: number}>): Buffer {
	const payload = Buffer.alloc(payloadFixedLength + keys.length * payloadKeyLength);
	let offset = payloadMagic.copy(payload, 0);
	offset += uuidToBytes(catalogId).copy(payload, offset);
	offset = payload.writeBigUInt64BE(BigInt(created), offset);
	offset = payload.writeUInt32BE(keys.length, offset);
	for (const key of keys) {
		offset = payload.writeUInt32BE(key.version, offset);
		offset = payload.writeBigUInt64BE(BigInt(key.createdMs), offset);
		offset = payload.writeUInt8(key.primary ? 1 : 0, offset);
		offset += key.key.copy(payload, offset);
	}

	return payload;
}

function headerText(fields: Record<HeaderName, string>): string {
	return [beginLine, ...headerNames.map(name => `${name}: ${fields[name]}`)].join('\n') + '\n';
}

/** The name of the performance measure each key derivation records. */
export const kdfMeasure = 'rscm:kdf';

function deriveKey(password: string, salt: Buffer, parameters: {N: number; r: number; p: number}): Promise<Buffer> {
	// The async scrypt runs on the libuv thread pool, so the UI spinner keeps turning during the half second.
	const secret = Buffer.from(normalizePassword(password), 'utf8');
	const started = performance.now();
	return new Promise((resolve, reject) => {
		try {
			scrypt(secret, salt, derivedKeyLength, {...parameters, maxmem: scryptMaxmem}, (error, derived) => {
				secret.fill(0);
				// The KDF's own time, for `npm run bench` to split backup and restore into the KDF and everything else
				// within the same operation (a PerformanceObserver sees it; the timeline buffer is not kept).
				performance.measure(kdfMeasure, {start: started, end: performance.now()});
				performance.clearMeasures(kdfMeasure);
				if (error) reject(new RscmError('INTERNAL', 'The key derivation failed.', {cause: error}));
				else resolve(derived);
			});
		} catch {
			// Parameters OpenSSL refuses up front (checkScryptParameters should have caught them): the file is not one
			// rscm could have written, so say so with the file's code rather than an internal error.
			secret.fill(0);
			reject(notABackup('its scrypt parameters are not usable'));
		}
	});
}

function wrapBase64(data: Buffer): string[] {
	const text = data.toString('base64');
	const lines: string[] = [];
	for (let index = 0; index < text.length; index += bodyColumns) lines.push(text.slice(index, index + bodyColumns));
	return lines;
}

/**
 * Encrypts a keyring under a password. Enforces the backup password policy itself (WEAK_PASSWORD), so no front end
 * can write a backup under a password the policy refuses; the caller checks Confirm Password.
 */
export async function encodeBackup(contents: BackupContents, password: string): Promise<string> {
	assertBackupPassword(password);
	const {catalogId, created, keys} = validateContents(contents);
	const primary = keys.find(key => key.primary);
	if (primary === undefined) throw new RscmError('INVALID_INPUT', 'Exactly one key version must be primary.');

	const salt = randomBytes(saltLength);
	const nonce = randomBytes(nonceLength);
	const header = headerText({
		Version: String(backupFormatVersion),
		Catalog: catalogId,
		Created: new Date(created).toISOString(),
		Keys: String(keys.length),
		Primary: fingerprintKey(primary.key),
		KDF: 'scrypt',
		N: String(scryptWrite.N),
		r: String(scryptWrite.r),
		p: String(scryptWrite.p),
		Salt: salt.toString('base64'),
		Nonce: nonce.toString('base64'),
	});

	const derived = await deriveKey(password, salt, scryptWrite);
	const payload = encodePayload(catalogId, created, keys);
	try {
		const cipher = createCipheriv('aes-256-gcm', derived, nonce, {authTagLength: tagLength});
		cipher.setAAD(Buffer.from(header, 'ascii'));
		const body = Buffer.concat([cipher.update(payload), cipher.final(), cipher.getAuthTag()]);
		return `${header}\n${wrapBase64(body).join('\n')}\n${endLine}\n`;
	} finally {
		derived.fill(0);
		payload.fill(0);
	}
}

// --- Parsing ----------------------------------------------------------------------------------------------------

type ParsedArmor = {header: BackupHeader; associatedData: Buffer; body: Buffer};

function toText(input: string | Uint8Array): string {
	if (input.length > backupSizeCap) {
		throw new RscmError('BACKUP_TOO_LARGE', `The file is larger than ${backupSizeCap / 1024} KiB, too large to be a key backup.`, {
			hint: notABackupHint,
		});
	}

	if (typeof input === 'string') return input;
	try {
		return new TextDecoder('utf-8', {fatal: true}).decode(input);
	} catch {
		throw notABackup('it is not text');
	}
}

function parseDecimal(value: string, name: string): number {
	if (!decimalPattern.test(value)) throw notABackup(`the ${name} header is not a number`);
	return Number(value);
}

function parseBase64(value: string, length: number, name: string): Buffer {
	const bytes = Buffer.from(value, 'base64');
	// Node's decoder skips garbage silently; re-encoding and comparing accepts only the one canonical spelling.
	if (bytes.length !== length || bytes.toString('base64') !== value) throw notABackup(`the ${name} header is not valid`);
	return bytes;
}

function checkScryptParameters(N: number, r: number, p: number): void {
	// Refused before the KDF runs: these are the numbers an attacker controls to make rscm burn CPU and memory.
	const powerOfTwo = Number.isSafeInteger(N) && N > 0 && 2 ** Math.round(Math.log2(N)) === N;
	const memory = 128 * r * (N + 2) + 128 * r * p;
	if (
		!powerOfTwo ||
		N < scryptCaps.minimumN ||
		N > scryptCaps.maximumN ||
		r < 1 ||
		r > scryptCaps.maximumR ||
		p < 1 ||
		p > scryptCaps.maximumP ||
		memory > scryptMaxmem ||
		// RFC 7914 requires N < 2^(128·r/8); OpenSSL refuses anything else with an exception of its own, which a
		// file saying `r: 1` would otherwise turn into an INTERNAL error instead of NOT_A_BACKUP.
		Math.log2(N) >= 16 * r ||
		N * r * p > scryptMaximumCost
	) {
		throw notABackup(`its scrypt parameters (N=${N}, r=${r}, p=${p}) are outside the accepted range`);
	}
}

function parseHeaderFields(fields: Map<HeaderName, string>): BackupHeader {
	const get = (name: HeaderName): string => fields.get(name) ?? '';
	const catalogId = get('Catalog');
	if (!uuidPattern.test(catalogId)) throw notABackup('the Catalog header is not a lowercase UUID');
	const createdAt = get('Created');
	const created = Date.parse(createdAt);
	if (!Number.isFinite(created) || created < 0 || new Date(created).toISOString() !== createdAt) {
		throw notABackup('the Created header is not an ISO 8601 UTC time');
	}

	const keyCount = parseDecimal(get('Keys'), 'Keys');
	if (keyCount < 1 || keyCount > maximumBackupKeys) throw notABackup('the Keys header is out of range');
	const primaryFingerprint = get('Primary');
	if (!isKeyFingerprint(primaryFingerprint)) throw notABackup('the Primary header is not a key fingerprint');
	if (get('KDF') !== 'scrypt') throw notABackup('the KDF header names an unknown key derivation');
	const N = parseDecimal(get('N'), 'N');
	const r = parseDecimal(get('r'), 'r');
	const p = parseDecimal(get('p'), 'p');
	checkScryptParameters(N, r, p);
	const salt = parseBase64(get('Salt'), saltLength, 'Salt');
	const nonce = parseBase64(get('Nonce'), nonceLength, 'Nonce');
	return {version: 1, catalogId, createdAt, keyCount, primaryFingerprint, kdf: {name: 'scrypt', N, r, p}, salt, nonce};
}

/** Drops trailing spaces, tabs and CR. A loop, not /[\t\r ]+$/: that regex is quadratic on a long run of spaces. */
function trimLineEnd(line: string): string {
	let end = line.length;
	while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t' || line[end - 1] === '\r')) end--;
	return end === line.length ? line : line.slice(0, end);
}

/**
 * Strict reading of the armor. The only liberties taken are the ones terminals and mail clients take: CRLF line
 * ends, trailing spaces and tabs, blank lines around the block, a leading byte-order mark. Everything else must be
 * exactly as written, and the associated data is rebuilt from the parsed fields, so a tolerated difference can
 * never change what is authenticated.
 */
function parseArmor(input: string | Uint8Array): ParsedArmor {
	let text = toText(input);
	if (text.startsWith('\uFEFF')) text = text.slice(1);
	if (!/^[\t\n\r\x20-\x7e]*$/.test(text)) throw notABackup('it contains characters a backup never holds');
	const lines = text.split('\n').map(line => trimLineEnd(line));

	let index = 0;
	while (index < lines.length && lines[index] === '') index++;
	if (index >= lines.length) throw notABackup('it is empty');
	if (lines[index] !== beginLine) throw notABackup(`it does not start with ${beginLine}`);
	index++;

	// Version comes first and is judged on its own, so a future format with other header lines is reported as
	// "newer version", not as garbage.
	const versionMatch = /^Version: (.*)$/.exec(lines[index] ?? '');
	if (!versionMatch) throw notABackup('the Version header is missing');
	const version = parseDecimal(versionMatch[1] ?? '', 'Version');
	if (version !== backupFormatVersion) {
		throw new RscmError(
			'UNSUPPORTED_BACKUP_VERSION',
			`The backup uses format version ${version}; this rscm reads version ${backupFormatVersion}.`,
			{hint: 'Open it with a newer rscm.'},
		);
	}

	const fields = new Map<HeaderName, string>();
	for (const name of headerNames) {
		const line = lines[index] ?? '';
		if (line === '') throw notABackup(`the ${name} header is missing`);
		const match = /^([^:]*): (.+)$/.exec(line);
		if (!match) throw notABackup('a header line is malformed');
		const [, found = '', value = ''] = match;
		if (found !== name) {
			if (fields.has(found as HeaderName)) throw notABackup(`the ${found} header appears twice`);
			if ((headerNames as readonly string[]).includes(found)) throw notABackup(`the ${name} header is missing or out of order`);
			throw notABackup('it has an unknown header line');
		}

		fields.set(name, value);
		index++;
	}

	if (lines[index] !== '') {
		const extra = /^([^:]*):/.exec(lines[index] ?? '')?.[1];
		throw notABackup(extra !== undefined && fields.has(extra as HeaderName) ? `the ${extra} header appears twice` : 'a blank line must follow the header');
	}

	index++;
	const header = parseHeaderFields(fields);

	const bodyLines: string[] = [];
	while (index < lines.length && lines[index] !== endLine) {
		bodyLines.push(lines[index] ?? '');
		index++;
	}

	if (index >= lines.length) throw notABackup(`it does not end with ${endLine} (was it cut short?)`);
	if (lines.slice(index + 1).some(line => line !== '')) throw notABackup(`there is text after ${endLine}`);
	if (bodyLines.length === 0) throw notABackup('the body is empty');
	for (const [lineIndex, line] of bodyLines.entries()) {
		const last = lineIndex === bodyLines.length - 1;
		if (last ? line.length === 0 || line.length > bodyColumns : line.length !== bodyColumns) {
			throw notABackup(`body line ${lineIndex + 1} has the wrong length (was the file cut or re-wrapped?)`);
		}
	}

	const base64 = bodyLines.join('');
	if (!/^[A-Za-z\d+/]*={0,2}$/.test(base64)) throw notABackup('the body is not base64');
	const body = Buffer.from(base64, 'base64');
	if (body.toString('base64') !== base64) throw notABackup('the body is not canonical base64');
	const expectedLength = payloadFixedLength + header.keyCount * payloadKeyLength + tagLength;
	if (body.length !== expectedLength) throw notABackup('the body length does not match the Keys header (was it cut short?)');

	const associatedData = Buffer.from(
		headerText(Object.fromEntries(fields) as Record<HeaderName, string>),
		'ascii',
	);
	return {header, associatedData, body};
}

/**
 * The clear header of a backup, for messages before the password is typed ("backup of catalog …, made on …,
 * primary key 3f2a-…"). Unauthenticated until decodeBackup succeeds: show it, never act on it.
 */
export function parseBackupHeader(text: string | Uint8Array): BackupHeader {
	return parseArmor(text).header;
}

function decodePayload(payload: Buffer, header: BackupHeader): BackupContents {
	const keys: BackupKey[] = [];
	const fail = (): never => {
		// Authenticated yet inconsistent: written by something other than rscm with the right password. Zero what
		// was already copied out, since the caller never receives it.
		for (const key of keys) key.key.fill(0);
		throw notABackup('its contents do not match its header');
	};

	if (payload.length !== payloadFixedLength + header.keyCount * payloadKeyLength) fail();
	if (!payload.subarray(0, payloadMagic.length).equals(payloadMagic)) fail();
	let offset = payloadMagic.length;
	const catalogId = bytesToUuid(payload.subarray(offset, offset + 16));
	offset += 16;
	const created = Number(payload.readBigUInt64BE(offset));
	offset += 8;
	const count = payload.readUInt32BE(offset);
	offset += 4;
	if (catalogId !== header.catalogId || count !== header.keyCount) fail();
	if (created > maximumTime || new Date(created).toISOString() !== header.createdAt) fail();

	const versions = new Set<number>();
	for (let index = 0; index < count; index++) {
		const version = payload.readUInt32BE(offset);
		const keyCreated = Number(payload.readBigUInt64BE(offset + 4));
		const flag = payload.readUInt8(offset + 12);
		offset += 13;
		if (version === 0 || versions.has(version) || flag > 1 || keyCreated > maximumTime) fail();
		versions.add(version);
		// A copy the caller owns (and may zero); the payload buffer itself is zeroed by the caller of this function.
		const key = Buffer.from(payload.subarray(offset, offset + keyLength));
		offset += keyLength;
		keys.push({version, createdAt: new Date(keyCreated).toISOString(), key, primary: flag === 1});
	}

	const primaries = keys.filter(key => key.primary);
	if (primaries.length !== 1 || fingerprintKey(primaries[0]?.key ?? Buffer.alloc(keyLength)) !== header.primaryFingerprint) fail();

	return {catalogId, createdAt: header.createdAt, keys};
}

/**
 * Opens a backup. Errors: BACKUP_TOO_LARGE, NOT_A_BACKUP, UNSUPPORTED_BACKUP_VERSION (all before the KDF runs),
 * WRONG_PASSWORD (after it). The returned key buffers belong to the caller, who zeroes them when done.
 */
export async function decodeBackup(text: string | Uint8Array, password: string): Promise<BackupContents> {
	const {header, associatedData, body} = parseArmor(text);
	const derived = await deriveKey(password, header.salt, header.kdf);
	const ciphertext = body.subarray(0, body.length - tagLength);
	const tag = body.subarray(body.length - tagLength);
	let payload: Buffer | undefined;
	try {
		const decipher = createDecipheriv('aes-256-gcm', derived, header.nonce, {authTagLength: tagLength});
		decipher.setAAD(associatedData);
		decipher.setAuthTag(tag);
		payload = decipher.update(ciphertext);
		try {
			decipher.final();
		} catch {
			throw wrongPassword();
		}

		return decodePayload(payload, header);
	} finally {
		derived.fill(0);
		// GCM hands out plaintext before the tag is checked: zero it whether or not the tag matched.
		payload?.fill(0);
	}
}

// --- Reading the file -------------------------------------------------------------------------------------------

function fileError(error: unknown, path: string): RscmError {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	switch (code) {
		case 'ENOENT':
		case 'ENOTDIR': {
			return new RscmError('FILE_NOT_FOUND', `The file ${path} does not exist.`, {hint: 'Check the path of the backup file.', cause: error});
		}

		case 'EISDIR': {
			return new RscmError('IS_A_DIRECTORY', `${path} is a directory, not a backup file.`, {hint: 'Give the path of the .snk file itself.', cause: error});
		}

		case 'EACCES':
		case 'EPERM': {
			return new RscmError('PERMISSION_DENIED', `Permission denied reading ${path}.`, {hint: 'Run rscm as a user that can read the file.', cause: error});
		}

		default: {
			return new RscmError('IO_ERROR', `Reading ${path} failed${code ? ` (${code})` : ''}.`, {cause: error});
		}
	}
}

/**
 * Reads a backup file, refusing anything over the size cap before reading it whole: the size is checked on the
 * open handle (no race with a rename), and at most cap+1 bytes are read, so a file that grows after the check, or
 * reports no size (a device), still cannot make rscm read gigabytes. O_NONBLOCK keeps a FIFO from hanging the open.
 */
export async function readBackupFile(path: string): Promise<Uint8Array> {
	let handle;
	try {
		handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
	} catch (error) {
		throw fileError(error, path);
	}

	try {
		const stats = await handle.stat();
		if (stats.isDirectory()) throw new RscmError('IS_A_DIRECTORY', `${path} is a directory, not a backup file.`, {hint: 'Give the path of the .snk file itself.'});
		if (!stats.isFile()) throw notABackup(`${path} is not a regular file`);
		if (stats.size > backupSizeCap) {
			throw new RscmError('BACKUP_TOO_LARGE', `${path} is larger than ${backupSizeCap / 1024} KiB, too large to be a key backup.`, {hint: notABackupHint});
		}

		const buffer = Buffer.alloc(backupSizeCap + 1);
		let length = 0;
		while (length < buffer.length) {
			const {bytesRead} = await handle.read(buffer, length, buffer.length - length, null);
			if (bytesRead === 0) break;
			length += bytesRead;
		}

		if (length > backupSizeCap) {
			throw new RscmError('BACKUP_TOO_LARGE', `${path} is larger than ${backupSizeCap / 1024} KiB, too large to be a key backup.`, {hint: notABackupHint});
		}

		return buffer.subarray(0, length);
	} catch (error) {
		if (error instanceof RscmError) throw error;
		throw fileError(error, path);
	} finally {
		await handle.close();
	}
}
