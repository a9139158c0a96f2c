import {createHash, createHmac, timingSafeEqual} from 'node:crypto';
import {RscmError} from '../errors.ts';

/**
 * Short hashes shown to people, and the key-check value that lets restore verify a key without any content.
 *
 * Each construction has its own label (domain separation): a key fingerprint can never equal an identity
 * fingerprint or a key-check value of the same bytes, so one cannot be passed off as another. The labels end in
 * NUL so no label is a prefix of another label followed by data.
 *
 * Fingerprints are not secret and not a MAC: 64 bits (keys) and 80 bits (identities) are enough for a person
 * comparing two strings on two screens, not for resisting a brute-force second preimage by someone who controls
 * the key. That is why the identity fingerprint is longer: when adding an instance, the admin compares it to
 * what the other server shows, and an attacker could try to produce a look-alike public key.
 */
const keyFingerprintLabel = Buffer.from('rscm key fingerprint v1\0', 'utf8');
const identityFingerprintLabel = Buffer.from('rscm identity fingerprint v1\0', 'utf8');
const keyCheckLabel = Buffer.from('rscm key check v1\0', 'utf8');

/** Symmetric keys are 256 bits; X25519 public keys are 32 raw bytes (not SPKI DER), so every caller agrees. */
const keyLength = 32;
const publicKeyLength = 32;

export const keyCheckValueLength = 32;

function labelledDigest(label: Buffer, data: Uint8Array): Buffer {
	return createHash('sha256').update(label).update(data).digest();
}

/** Lowercase hex in dash-separated groups of four characters: `3f2a-91c0-77de-0b14`. */
function formatGroups(bytes: Buffer): string {
	const hex = bytes.toString('hex');
	const groups: string[] = [];
	for (let index = 0; index < hex.length; index += 4) groups.push(hex.slice(index, index + 4));
	return groups.join('-');
}

function assertLength(bytes: Uint8Array, length: number, what: string): void {
	// A wrong length is a programming error (an SPKI-encoded public key, a truncated key): failing loudly keeps
	// every part of rscm computing the same fingerprint for the same key.
	if (bytes.length !== length) {
		throw new RscmError('INTERNAL', `${what} must be ${length} bytes, got ${bytes.length}.`);
	}
}

/** Fingerprint of a symmetric key version: first 8 bytes of SHA-256(label ‖ key), four groups. */
export function fingerprintKey(key: Uint8Array): string {
	assertLength(key, keyLength, 'A symmetric key');
	return formatGroups(labelledDigest(keyFingerprintLabel, key).subarray(0, 8));
}

/** Fingerprint of an instance's service identity (raw X25519 public key): first 10 bytes, five groups. */
export function fingerprintPublicKey(publicKey: Uint8Array): string {
	assertLength(publicKey, publicKeyLength, 'An X25519 public key');
	return formatGroups(labelledDigest(identityFingerprintLabel, publicKey).subarray(0, 10));
}

/** Loose syntax check for fingerprints read from files or typed by people (lowercase, as produced above). */
export function isKeyFingerprint(text: string): boolean {
	return /^[\da-f]{4}(?:-[\da-f]{4}){3}$/.test(text);
}

export function isIdentityFingerprint(text: string): boolean {
	return /^[\da-f]{4}(?:-[\da-f]{4}){4}$/.test(text);
}

function keyCheckMessage(catalogId: string, version: number): Buffer {
	if (!Number.isSafeInteger(version) || version < 0) {
		throw new RscmError('INTERNAL', 'A key version must be a non-negative integer.');
	}

	return Buffer.concat([keyCheckLabel, Buffer.from(catalogId, 'utf8'), Buffer.from([0]), Buffer.from(String(version), 'ascii')]);
}

/**
 * HMAC-SHA256(key, "rscm key check v1\0" ‖ catalogId ‖ "\0" ‖ version in decimal). Stored in the catalog per key
 * version, so restore can tell that a backup's key is the right key for this catalog and version even when the
 * catalog holds no encrypted content yet. A MAC under the key itself reveals nothing about the key, and binding
 * catalog id and version means a check value cannot be copied from another catalog or another version.
 */
export function keyCheckValue(key: Uint8Array, catalogId: string, version: number): Buffer {
	assertLength(key, keyLength, 'A symmetric key');
	return createHmac('sha256', key).update(keyCheckMessage(catalogId, version)).digest();
}

/** Constant-time comparison; a stored value of the wrong length is simply a mismatch. */
export function verifyKeyCheckValue(key: Uint8Array, catalogId: string, version: number, expected: Uint8Array): boolean {
	const actual = keyCheckValue(key, catalogId, version);
	if (expected.length !== actual.length) return false;
	return timingSafeEqual(actual, expected);
}
