import {RscmError} from '../../errors.ts';
import {fingerprintKey} from '../fingerprint.ts';
import {notABackup} from './errors.ts';
import {backupFormatVersion, keyLength, maximumBackupKeys} from './format.ts';

/**
 * The encrypted payload of a backup, in binary (docs/FORMATS.md):
 *   magic ‖ catalog id (16) ‖ created ms (u64) ‖ key count (u32) ‖ per key: version (u32) ‖ created ms (u64) ‖
 *   primary (u8) ‖ key (32)
 * The magic is `RSCMKB\0` and the format version as one byte.
 */
export type BackupKey = {version: number; createdAt: string; key: Buffer; primary: boolean};

export type BackupContents = {catalogId: string; createdAt: string; keys: BackupKey[]};

/** Contents checked for writing: the catalog id lowercased and every time as milliseconds. */
export type ValidContents = {catalogId: string; created: number; keys: Array<BackupKey & {createdMs: number}>};

/** What the clear header says about the payload, checked against it once it is decrypted. */
export type PayloadExpectation = {catalogId: string; createdAt: string; keyCount: number; primaryFingerprint: string};

const payloadMagic = Buffer.concat([Buffer.from('RSCMKB\0', 'latin1'), Buffer.from([backupFormatVersion])]);
const payloadFixedLength = payloadMagic.length + 16 + 8 + 4;
const payloadKeyLength = 4 + 8 + 1 + keyLength;
/** The largest time a JavaScript Date can hold (ms since the epoch); a u64 from a payload may exceed it. */
const maximumTime = 8.64e15;

export const uuidPattern = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/;

/** The length of the payload of `keyCount` key versions. */
export function payloadLength(keyCount: number): number {
	return payloadFixedLength + keyCount * payloadKeyLength;
}

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

/** The same invariants decodePayload checks; refusing them on write means no such file is ever produced. */
export function validateContents(contents: BackupContents): ValidContents {
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

/** The payload bytes; the caller zeroes them once encrypted. */
export function encodePayload({catalogId, created, keys}: ValidContents): Buffer {
	const payload = Buffer.alloc(payloadLength(keys.length));
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

/**
 * Reads an authenticated payload and checks it against the header. The returned key buffers are copies the caller
 * owns; the payload itself is zeroed by the caller.
 */
export function decodePayload(payload: Buffer, header: PayloadExpectation): BackupContents {
	const keys: BackupKey[] = [];
	const fail = (): never => {
		// Authenticated yet inconsistent: written by something other than rscm with the right password. Zero what
		// was already copied out, since the caller never receives it.
		for (const key of keys) key.key.fill(0);
		throw notABackup('its contents do not match its header');
	};

	if (payload.length !== payloadLength(header.keyCount)) fail();
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
		const key = Buffer.from(payload.subarray(offset, offset + keyLength));
		offset += keyLength;
		keys.push({version, createdAt: new Date(keyCreated).toISOString(), key, primary: flag === 1});
	}

	const primaries = keys.filter(key => key.primary);
	if (primaries.length !== 1 || fingerprintKey(primaries[0]?.key ?? Buffer.alloc(keyLength)) !== header.primaryFingerprint) fail();

	return {catalogId, createdAt: header.createdAt, keys};
}
