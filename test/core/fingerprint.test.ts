import {createHash, createHmac, randomBytes} from 'node:crypto';
import test from 'ava';
import {isRscmError} from '../../source/errors.ts';
import {
	fingerprintKey,
	fingerprintPublicKey,
	isIdentityFingerprint,
	isKeyFingerprint,
	keyCheckValue,
	verifyKeyCheckValue,
} from '../../source/core/fingerprint.ts';

const catalogId = '6f1c2a9e-4d1b-4c8e-9a55-2b7d0c3e8f10';

function reference(label: string, data: Uint8Array, bytes: number): string {
	const hex = createHash('sha256').update(label, 'utf8').update(data).digest().subarray(0, bytes).toString('hex');
	return hex.match(/.{4}/g)?.join('-') ?? '';
}

test('a key fingerprint is the first 8 bytes of the labelled SHA-256, in four groups', t => {
	const key = randomBytes(32);
	const fingerprint = fingerprintKey(key);
	t.regex(fingerprint, /^[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}$/);
	t.is(fingerprint, reference('rscm key fingerprint v1\0', key, 8));
	t.true(isKeyFingerprint(fingerprint));
	t.false(isIdentityFingerprint(fingerprint));
});

test('a fixed key has a fixed fingerprint (the construction must never change silently)', t => {
	// Pinned values (checked with sha256sum): fingerprints are stored in catalogs and printed on backups.
	const key = Buffer.alloc(32, 0x42);
	t.is(fingerprintKey(key), '48a7-8086-bf91-98bb');
	t.is(fingerprintPublicKey(key), 'b288-98d3-6e15-7027-3e83');
	t.is(keyCheckValue(key, catalogId, 1).toString('hex'), '6edf225b9cb0ab7df640c3e373be96bd656ea91ea1b55b497f6fa6a045ec7313');
	t.is(fingerprintKey(key), fingerprintKey(Buffer.from(key)));
	t.not(fingerprintKey(key), fingerprintKey(Buffer.alloc(32, 0x43)));
});

test('an identity fingerprint uses its own label and 10 bytes, in five groups', t => {
	const publicKey = randomBytes(32);
	const fingerprint = fingerprintPublicKey(publicKey);
	t.regex(fingerprint, /^[\da-f]{4}(?:-[\da-f]{4}){4}$/);
	t.is(fingerprint, reference('rscm identity fingerprint v1\0', publicKey, 10));
	t.true(isIdentityFingerprint(fingerprint));
	// Domain separation: the same 32 bytes as a key and as an identity give unrelated fingerprints.
	t.false(fingerprint.startsWith(fingerprintKey(publicKey)));
});

test('fingerprints refuse inputs of the wrong length instead of fingerprinting them', t => {
	for (const bytes of [Buffer.alloc(0), Buffer.alloc(31), Buffer.alloc(44)]) {
		t.true(isRscmError(t.throws(() => fingerprintKey(bytes)), 'INTERNAL'));
		t.true(isRscmError(t.throws(() => fingerprintPublicKey(bytes)), 'INTERNAL'));
	}
});

test('the key-check value is HMAC-SHA256 over label, catalog id and decimal version', t => {
	const key = randomBytes(32);
	const expected = createHmac('sha256', key).update(`rscm key check v1\0${catalogId}\0${12}`, 'utf8').digest();
	const value = keyCheckValue(key, catalogId, 12);
	t.is(value.length, 32);
	t.true(value.equals(expected));
});

test('the key-check value verifies only for the same key, catalog and version', t => {
	const key = randomBytes(32);
	const value = keyCheckValue(key, catalogId, 3);
	t.true(verifyKeyCheckValue(key, catalogId, 3, value));
	t.false(verifyKeyCheckValue(randomBytes(32), catalogId, 3, value));
	t.false(verifyKeyCheckValue(key, catalogId, 4, value));
	t.false(verifyKeyCheckValue(key, '00000000-0000-4000-8000-000000000000', 3, value));
	t.false(verifyKeyCheckValue(key, catalogId, 3, value.subarray(0, 16)));
	t.false(verifyKeyCheckValue(key, catalogId, 3, new Uint8Array(0)));
	const tampered = Buffer.from(value);
	tampered[31] = (tampered[31] ?? 0) ^ 1;
	t.false(verifyKeyCheckValue(key, catalogId, 3, tampered));
});

test('the key-check value rejects a negative or fractional version', t => {
	const key = randomBytes(32);
	t.throws(() => keyCheckValue(key, catalogId, -1));
	t.throws(() => keyCheckValue(key, catalogId, 1.5));
});
