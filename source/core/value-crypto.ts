import {createCipheriv, createDecipheriv} from 'node:crypto';
import {RscmError} from './errors.ts';
import {takeNonce} from './nonce-pool.ts';

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

export function associatedData(location: ValueLocation, header: Uint8Array): Buffer {
	// Length-prefixed parts: "a" + "bc" and "ab" + "c" must not produce the same bytes.
	const parts = ['rscm value v1', location.catalogId, location.kind, location.owner, location.field].map(part =>
		Buffer.from(part, 'utf8'),
	);
	const pieces: Buffer[] = [];
	for (const part of parts) {
		const length = Buffer.allocUnsafe(4);
		length.writeUInt32BE(part.length);
		pieces.push(length, part);
	}

	pieces.push(Buffer.from(header));
	return Buffer.concat(pieces);
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
