import {randomFillSync} from 'node:crypto';

/**
 * Hands out 12-byte random GCM nonces from a refilled pool. One randomBytes() call per value costs more than
 * AES-GCM on a short value; filling 4 KiB at a time makes nonce generation negligible during a rotation of
 * millions of values. Nonces are still fully random (no counter), so pools in several processes and on several
 * servers sharing a key cannot collide in practice.
 */
const nonceLength = 12;
const poolSize = 4096 - (4096 % nonceLength);

let pool = Buffer.alloc(0);
let offset = 0;

export function takeNonce(): Buffer {
	if (offset + nonceLength > pool.length) {
		pool = randomFillSync(Buffer.allocUnsafe(poolSize));
		offset = 0;
	}

	// A copy, so that a caller keeping the nonce does not pin the pool and the pool can be refilled safely.
	const nonce = Buffer.from(pool.subarray(offset, offset + nonceLength));
	pool.fill(0, offset, offset + nonceLength);
	offset += nonceLength;
	return nonce;
}
