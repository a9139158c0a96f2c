import {scrypt} from 'node:crypto';
import {performance} from 'node:perf_hooks';
import {RscmError} from '../../errors.ts';
import {normalizePassword} from '../password-policy.ts';
import {notABackup} from './errors.ts';

/**
 * The backup's key derivation: scrypt, with the parameters rscm writes and the caps on what a file may ask for
 * (docs/FORMATS.md, "Backup file (.snk)"). The caps are checked before the KDF runs: these are the numbers an
 * attacker controls to make rscm burn CPU and memory (a file asking for N = 2^30 would pin a CPU and gigabytes).
 */
export type KdfParameters = {N: number; r: number; p: number};

/** Written parameters: about half a second on a server core, 128 MiB of memory. */
export const scryptWrite = {N: 2 ** 17, r: 8, p: 1} as const;
/** Caps on what a file may ask for, checked before the KDF runs. */
const scryptCaps = {minimumN: 2 ** 14, maximumN: 2 ** 20, maximumR: 32, maximumP: 16} as const;
/** OpenSSL needs 128·r·(N+2) + 128·r·p bytes; anything above this is refused rather than attempted. */
const scryptMaxmem = 256 * 1024 * 1024;
/** N·r·p bounds the CPU time: up to 4× the written cost (about two seconds here). */
const scryptMaximumCost = 4 * scryptWrite.N * scryptWrite.r * scryptWrite.p;

export const saltLength = 16;
const derivedKeyLength = 32;

/** The name of the performance measure each key derivation records. */
export const kdfMeasure = 'rscm:kdf';

/** Refuses parameters rscm would not have written, or that would cost too much (NOT_A_BACKUP). */
export function checkScryptParameters({N, r, p}: KdfParameters): void {
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

/** The AES-256 key for a backup. The caller zeroes the returned buffer. */
export function deriveKey(password: string, salt: Buffer, parameters: KdfParameters): Promise<Buffer> {
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
