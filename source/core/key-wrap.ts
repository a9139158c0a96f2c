import {
	createCipheriv,
	createDecipheriv,
	createPrivateKey,
	createPublicKey,
	diffieHellman,
	generateKeyPairSync,
	hkdfSync,
	type KeyObject,
} from 'node:crypto';
import {RscmError} from '../errors.ts';
import type {IdentityKeyPair} from '../instance/identity-file.ts';
import {takeNonce} from './nonce-pool.ts';

/**
 * Wrapping the symmetric key to an instance's service identity (docs/FORMATS.md, "Wrapped key").
 *
 *   wrapped = 0x01 ‖ ephemeral X25519 public key (32) ‖ nonce (12) ‖ AES-256-GCM(key) (32) ‖ tag (16)
 *
 * Ephemeral-static X25519, then HKDF-SHA256 with salt = ephemeral public ‖ recipient public and
 * info = "rscm wrap v1" ‖ catalog id ‖ key version, so a wrapped copy is bound to one recipient, one catalog and
 * one key version. The info is also the AEAD associated data.
 */
const wrapVersion = 1;
const rawKeyLength = 32;
const wrappedLength = 1 + rawKeyLength + 12 + rawKeyLength + 16;

export function generateIdentity(): IdentityKeyPair {
	const pair = generateKeyPairSync('x25519');
	return {publicKey: exportRawPublic(pair.publicKey), privateKey: exportRawPrivate(pair.privateKey)};
}

export function publicKeyFromPrivate(privateKey: Uint8Array): Buffer {
	return exportRawPublic(createPublicKey(importPrivate(privateKey)));
}

function exportRawPublic(key: KeyObject): Buffer {
	const jwk = key.export({format: 'jwk'});
	return Buffer.from(jwk.x!, 'base64url');
}

function exportRawPrivate(key: KeyObject): Buffer {
	const jwk = key.export({format: 'jwk'});
	return Buffer.from(jwk.d!, 'base64url');
}

function importPrivate(raw: Uint8Array): KeyObject {
	if (raw.length !== rawKeyLength) throw new RscmError('IDENTITY_CORRUPT', 'The identity private key has the wrong length.');
	// PKCS#8 DER for X25519 is a fixed 16-byte prefix followed by the raw key.
	const prefix = Buffer.from('302e020100300506032b656e04220420', 'hex');
	return createPrivateKey({key: Buffer.concat([prefix, raw]), format: 'der', type: 'pkcs8'});
}

function importPublic(raw: Uint8Array): KeyObject {
	if (raw.length !== rawKeyLength) throw new RscmError('INVALID_INPUT', 'An instance public key has the wrong length.');
	const prefix = Buffer.from('302a300506032b656e032100', 'hex');
	return createPublicKey({key: Buffer.concat([prefix, raw]), format: 'der', type: 'spki'});
}

function wrapInfo(catalogId: string, version: number): Buffer {
	return Buffer.from(`rscm wrap v1\0${catalogId}\0${version}`, 'utf8');
}

function sharedSecret(privateKey: KeyObject, publicKey: Uint8Array): Buffer {
	let shared: Buffer;
	try {
		shared = diffieHellman({privateKey, publicKey: importPublic(publicKey)});
	} catch (error) {
		// OpenSSL already refuses low-order points; report it in our terms.
		throw new RscmError('INVALID_INPUT', 'An X25519 public key is invalid (low order).', {cause: error});
	}

	return shared;
}

function deriveWrappingKey(shared: Buffer, ephemeralPublic: Uint8Array, recipientPublic: Uint8Array, info: Buffer): Buffer {
	// A low-order public key yields an all-zero secret that an attacker could predict: refuse it (a second check
	// behind OpenSSL's own, so the guarantee does not rest on one library version).
	if (shared.every(byte => byte === 0)) {
		throw new RscmError('INVALID_INPUT', 'The key exchange produced an all-zero secret; the public key is invalid.');
	}

	const salt = Buffer.concat([ephemeralPublic, recipientPublic]);
	return Buffer.from(hkdfSync('sha256', shared, salt, info, 32));
}

export function wrapKey(key: Uint8Array, recipientPublicKey: Uint8Array, catalogId: string, version: number): Buffer {
	const ephemeral = generateKeyPairSync('x25519');
	const ephemeralPublic = exportRawPublic(ephemeral.publicKey);
	const shared = sharedSecret(ephemeral.privateKey, recipientPublicKey);
	const info = wrapInfo(catalogId, version);
	const wrappingKey = deriveWrappingKey(shared, ephemeralPublic, recipientPublicKey, info);
	shared.fill(0);
	const nonce = takeNonce();
	const cipher = createCipheriv('aes-256-gcm', wrappingKey, nonce, {authTagLength: 16});
	cipher.setAAD(info);
	const wrapped = Buffer.concat([
		Buffer.from([wrapVersion]),
		ephemeralPublic,
		nonce,
		cipher.update(key),
		cipher.final(),
		cipher.getAuthTag(),
	]);
	wrappingKey.fill(0);
	return wrapped;
}

/** Opens a wrapped key with this instance's private key; KEY_UNAVAILABLE when it was wrapped for another identity. */
export function unwrapKey(wrapped: Uint8Array, privateKey: Uint8Array, catalogId: string, version: number): Buffer {
	if (wrapped.length !== wrappedLength || wrapped[0] !== wrapVersion) {
		throw new RscmError('KEY_UNAVAILABLE', `The wrapped copy of key version ${version} is damaged.`);
	}

	const bytes = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
	const ephemeralPublic = bytes.subarray(1, 33);
	const nonce = bytes.subarray(33, 45);
	const body = bytes.subarray(45, 45 + rawKeyLength);
	const tag = bytes.subarray(45 + rawKeyLength);
	const privateKeyObject = importPrivate(privateKey);
	const recipientPublic = exportRawPublic(createPublicKey(privateKeyObject));
	const shared = sharedSecret(privateKeyObject, ephemeralPublic);
	const info = wrapInfo(catalogId, version);
	const wrappingKey = deriveWrappingKey(shared, ephemeralPublic, recipientPublic, info);
	shared.fill(0);
	try {
		const decipher = createDecipheriv('aes-256-gcm', wrappingKey, nonce, {authTagLength: 16});
		decipher.setAAD(info);
		decipher.setAuthTag(tag);
		// update() hands out the key before the tag is checked, in a buffer of its own: copy it, then zero that
		// buffer whether or not the tag matches, so no stray copy of the key is left for the garbage collector.
		const opened = decipher.update(body);
		try {
			decipher.final();
			return Buffer.from(opened);
		} finally {
			opened.fill(0);
		}
	} catch (error) {
		throw new RscmError(
			'KEY_UNAVAILABLE',
			`This instance's identity cannot open its copy of key version ${version}.`,
			{cause: error, hint: 'Restore the key from a backup: rscm key restore --file PATH.'},
		);
	} finally {
		wrappingKey.fill(0);
	}
}
