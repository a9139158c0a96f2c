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

function reserve(): number {
	if (offset + nonceLength > pool.length) {
		pool = randomFillSync(Buffer.allocUnsafe(poolSize));
		offset = 0;
	}

	const start = offset;
	offset += nonceLength;
	return start;
}

export function takeNonce(): Buffer {
	const start = reserve();
	// A copy, so that a caller keeping the nonce does not pin the pool and the pool can be refilled safely.
	const nonce = Buffer.from(pool.subarray(start, start + nonceLength));
	pool.fill(0, start, start + nonceLength);
	return nonce;
}

/**
 * Writes a fresh nonce into `target` at `at` and returns a view of it there: no allocation, for rotation, which
 * builds each envelope in one buffer.
 */
export function takeNonceInto(target: Buffer, at: number): Buffer {
	const start = reserve();
	pool.copy(target, at, start, start + nonceLength);
	pool.fill(0, start, start + nonceLength);
	return target.subarray(at, at + nonceLength);
}
