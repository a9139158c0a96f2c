import {createCipheriv, createDecipheriv} from 'node:crypto';
import {RscmError} from '../errors.ts';
import {takeNonce, takeNonceInto} from './nonce-pool.ts';

/**
 * Encryption of stored values (docs/FORMATS.md, "Value envelope").
 *
 *   envelope = 0x01 ‖ keyVersion (u32 BE) ‖ nonce (12) ‖ ciphertext ‖ tag (16)
 *
 * AES-256-GCM. The associated data binds the value to where it is stored — catalog id, table (kind), row key
 * (owner) and column (field) — plus the envelope header, so a ciphertext copied to another row, another column
 * or another catalog, or relabelled with another key version, fails to decrypt instead of yielding the wrong secret.
 */
export const envelopeVersion = 1;
const headerLength = 1 + 4;
const nonceLength = 12;
const tagLength = 16;

export type ValueLocation = {
	catalogId: string;
	kind: string;
	owner: string;
	field: string;
};

const label = 'rscm value v1';

/**
 * The part of the associated data that only depends on the catalog: the label and the catalog id. A rotation
 * computes millions of associated data strings for one catalog, so the prefix is built once and kept.
 */
let cachedPrefix: {catalogId: string; bytes: Buffer} | undefined;

function prefixFor(catalogId: string): Buffer {
	if (cachedPrefix?.catalogId !== catalogId) {
		const labelLength = Buffer.byteLength(label);
		const idLength = Buffer.byteLength(catalogId);
		const bytes = Buffer.alloc(8 + labelLength + idLength);
		bytes.writeUInt32BE(labelLength, 0);
		bytes.write(label, 4, 'utf8');
		bytes.writeUInt32BE(idLength, 4 + labelLength);
		bytes.write(catalogId, 8 + labelLength, 'utf8');
		cachedPrefix = {catalogId, bytes};
	}

	return cachedPrefix.bytes;
}

export function associatedData(location: ValueLocation, header: Uint8Array): Buffer {
	// Length-prefixed parts: "a" + "bc" and "ab" + "c" must not produce the same bytes. Written into one buffer
	// sized up front: the per-part buffers and the concat cost more than the cipher on short values.
	const prefix = prefixFor(location.catalogId);
	const kindLength = Buffer.byteLength(location.kind);
	const ownerLength = Buffer.byteLength(location.owner);
	const fieldLength = Buffer.byteLength(location.field);
	const bytes = Buffer.allocUnsafe(prefix.length + 12 + kindLength + ownerLength + fieldLength + header.length);
	let offset = prefix.copy(bytes, 0);
	offset = bytes.writeUInt32BE(kindLength, offset);
	offset += bytes.write(location.kind, offset, 'utf8');
	offset = bytes.writeUInt32BE(ownerLength, offset);
	offset += bytes.write(location.owner, offset, 'utf8');
	offset = bytes.writeUInt32BE(fieldLength, offset);
	offset += bytes.write(location.field, offset, 'utf8');
	bytes.set(header, offset);
	return bytes;
}

export function encryptValue(key: Uint8Array, keyVersion: number, location: ValueLocation, plaintext: string): Buffer {
	const header = Buffer.allocUnsafe(headerLength);
	header.writeUInt8(envelopeVersion, 0);
	header.writeUInt32BE(keyVersion, 1);
	const nonce = takeNonce();
	const cipher = createCipheriv('aes-256-gcm', key, nonce, {authTagLength: tagLength});
	cipher.setAAD(associatedData(location, header));
	const body = Buffer.from(plaintext, 'utf8');
	const encrypted = Buffer.concat([header, nonce, cipher.update(body), cipher.final(), cipher.getAuthTag()]);
	body.fill(0);
	return encrypted;
}

/** The key version an envelope names, read without decrypting (rotation and diagnostics). */
export function envelopeKeyVersion(envelope: Uint8Array): number {
	if (envelope.length < headerLength + nonceLength + tagLength || envelope[0] !== envelopeVersion) {
		throw new RscmError('DECRYPT_FAILED', 'A stored value is not a valid rscm envelope.');
	}

	return Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength).readUInt32BE(1);
}

export function decryptValue(key: Uint8Array, location: ValueLocation, envelope: Uint8Array): string {
	const bytes = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
	envelopeKeyVersion(bytes);
	const header = bytes.subarray(0, headerLength);
	const nonce = bytes.subarray(headerLength, headerLength + nonceLength);
	const ciphertext = bytes.subarray(headerLength + nonceLength, bytes.length - tagLength);
	const tag = bytes.subarray(bytes.length - tagLength);
	try {
		const decipher = createDecipheriv('aes-256-gcm', key, nonce, {authTagLength: tagLength});
		decipher.setAAD(associatedData(location, header));
		decipher.setAuthTag(tag);
		const plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
		const text = plain.toString('utf8');
		plain.fill(0);
		return text;
	} catch (error) {
		throw new RscmError(
			'DECRYPT_FAILED',
			`The stored ${location.kind} value ${location.owner}/${location.field} does not decrypt with its key.`,
			{cause: error, hint: 'It was moved from another row or catalog, or damaged. Enter it again.'},
		);
	}
}

function decryptionFailed(location: ValueLocation, cause: unknown): RscmError {
	return new RscmError(
		'DECRYPT_FAILED',
		`The stored ${location.kind} value ${location.owner}/${location.field} does not decrypt with its key.`,
		{cause, hint: 'It was moved from another row or catalog, or damaged. Enter it again.'},
	);
}

/**
 * Rotation's inner loop: opens an envelope with the old key and seals the same bytes under the new key version,
 * without turning the value into a string and back. The output envelope is allocated once at its final size and
 * the nonce is written straight into it; the plain bytes are zeroed before returning. Equivalent to
 * encryptValue(toKey, toVersion, location, decryptValue(fromKey, location, envelope)).
 */
export function reencryptValue(fromKey: Uint8Array, toKey: Uint8Array, toVersion: number, location: ValueLocation, envelope: Uint8Array): Buffer {
	const bytes = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
	envelopeKeyVersion(bytes);
	const bodyLength = bytes.length - headerLength - nonceLength - tagLength;
	const header = bytes.subarray(0, headerLength);
	const associated = associatedData(location, header);
	let plain: Buffer;
	try {
		const decipher = createDecipheriv('aes-256-gcm', fromKey, bytes.subarray(headerLength, headerLength + nonceLength), {authTagLength: tagLength});
		decipher.setAAD(associated);
		decipher.setAuthTag(bytes.subarray(bytes.length - tagLength));
		plain = decipher.update(bytes.subarray(headerLength + nonceLength, bytes.length - tagLength));
		try {
			decipher.final();
		} catch (error) {
			plain.fill(0);
			throw error;
		}
	} catch (error) {
		throw decryptionFailed(location, error);
	}

	try {
		const output = Buffer.allocUnsafe(bytes.length);
		output.writeUInt8(envelopeVersion, 0);
		output.writeUInt32BE(toVersion, 1);
		// The associated data ends with the header: only the version bytes differ from the old envelope's.
		associated.writeUInt32BE(toVersion, associated.length - 4);
		const nonce = takeNonceInto(output, headerLength);
		const cipher = createCipheriv('aes-256-gcm', toKey, nonce, {authTagLength: tagLength});
		cipher.setAAD(associated);
		const sealed = cipher.update(plain);
		sealed.copy(output, headerLength + nonceLength);
		cipher.final();
		cipher.getAuthTag().copy(output, headerLength + nonceLength + bodyLength);
		return output;
	} finally {
		plain.fill(0);
	}
}
